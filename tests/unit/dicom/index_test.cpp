#include "dicom/index.h"

#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmdata/dcdatset.h>
#include <dcmtk/dcmdata/dcdeftag.h>
#include <gtest/gtest.h>

#include "dicom/instance.h"
#include "test_support.h"

namespace healthd::dicom {
namespace {

TEST(dicomIndex, AttributesOfARealInstance) {
  auto instance = Instance::open(testing::kTestFiles + "/CT_small.dcm", nullptr);
  ASSERT_TRUE(instance);
  IndexAttributes x = extract_index(*instance, {{make_tag(0x0018, 0x0060), "DS", ""}});
  EXPECT_EQ(x.study_instance_uid, "1.3.6.1.4.1.5962.1.2.1.20040119072730.12322");
  EXPECT_EQ(x.series_instance_uid, "1.3.6.1.4.1.5962.1.3.1.1.20040119072730.12322");
  EXPECT_EQ(x.sop_instance_uid, "1.3.6.1.4.1.5962.1.1.1.1.1.20040119072730.12322");
  EXPECT_EQ(x.sop_class_uid, "1.2.840.10008.5.1.4.1.1.2");
  EXPECT_EQ(x.patient_name, "CompressedSamples^CT1");
  EXPECT_EQ(x.patient_id, "1CT1");
  EXPECT_EQ(x.study_date, "20040119");
  EXPECT_EQ(x.study_time, "072730");
  EXPECT_EQ(x.accession_number, "");  // present, empty
  EXPECT_EQ(x.referring_physician_name, "");
  EXPECT_EQ(x.study_description, "e+1");
  EXPECT_EQ(x.modality, "CT");
  EXPECT_EQ(x.manufacturer_model_name, "RHAPSODE");
  EXPECT_EQ(x.performed_procedure_step_start_date, std::nullopt);  // absent
  EXPECT_EQ(x.rows, "128");
  EXPECT_EQ(x.columns, "128");
  EXPECT_EQ(x.transfer_syntax_uid, "1.2.840.10008.1.2.1");
  ASSERT_EQ(x.extended.size(), 1u);
  EXPECT_EQ(x.extended[0], "120");  // KVP
}

TEST(dicomIndex, InvalidValuesAreNotIndexed) {
  testing::TempDir dir;
  std::string path = dir.path + "/i.dcm";
  testing::write_instance(path, [](DcmDataset& ds) {
    testing::fill_minimal(ds);
    ds.putAndInsertString(DCM_SpecificCharacterSet, "ISO_IR 100");
    ds.putAndInsertString(DCM_StudyDate, "2024-01-31");
    ds.putAndInsertString(DCM_PatientName, "M\xFCller^Eva\\Second^Name");
    ds.putAndInsertString(DCM_SeriesNumber, " 7 ");
  });
  auto instance = Instance::open(path, nullptr);
  ASSERT_TRUE(instance);
  IndexAttributes x = extract_index(*instance);
  EXPECT_EQ(x.study_date, std::nullopt);
  EXPECT_EQ(x.patient_name, "Müller^Eva");  // UTF-8, first value
  EXPECT_EQ(x.series_number, "7");
  EXPECT_EQ(x.modality, "CT");
}

}  // namespace
}  // namespace healthd::dicom
