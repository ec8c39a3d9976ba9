// STOW acceptance on small instances written with DCMTK: each FailureReason, the UID rules,
// v1 against v2, and the warnings.
#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmdata/dcdatset.h>
#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcvrlo.h>
#include <gtest/gtest.h>

#include <fstream>

#include "dicom/instance.h"
#include "dicom/stow.h"
#include "test_support.h"

namespace healthd::dicom {
namespace {

using testing::fill_minimal;

class dicomStowCheck : public ::testing::Test {
 protected:
  // Writes an instance (fill_minimal, then edit) and checks it.
  StowCheck check(const std::function<void(DcmDataset&)>& edit, StowOptions options = {},
                  const std::string& xfer = "1.2.840.10008.1.2.1") {
    std::string path = dir_.path + "/i" + std::to_string(n_++) + ".dcm";
    testing::write_instance(path, [&](DcmDataset& ds) { fill_minimal(ds); edit(ds); }, xfer);
    std::string error;
    auto instance = Instance::open(path, &error);
    EXPECT_TRUE(instance) << error;
    return instance ? check_stow(*instance, options) : unreadable_instance(error);
  }

  static std::vector<Tag> failed_tags(const StowCheck& c) {
    std::vector<Tag> out;
    for (const auto& f : c.failed_attributes) out.push_back(f.tag);
    return out;
  }

  static StowOptions v1(std::string study = "") { return {ApiVersion::kV1, std::move(study), {}}; }

  testing::TempDir dir_;
  int n_ = 0;
};

TEST_F(dicomStowCheck, CodesAreTheReferences) {
  EXPECT_EQ(failure::kProcessingFailure, 272);
  EXPECT_EQ(failure::kValidationFailed, 43264);
  EXPECT_EQ(failure::kStudyUidMismatch, 43265);
  EXPECT_EQ(failure::kInstanceExists, 45070);
  EXPECT_EQ(failure::kInstanceBeingCreated, 45071);
  EXPECT_EQ(warning::kDatasetDoesNotMatchSopClass, 45063);
}

TEST_F(dicomStowCheck, ValidInstanceIsAcceptedWithItsUids) {
  StowCheck c = check([](DcmDataset&) {});
  EXPECT_TRUE(c.accepted());
  EXPECT_EQ(c.failure_reason, 0);
  EXPECT_TRUE(c.warning_reasons.empty());
  EXPECT_TRUE(c.failed_attributes.empty());
  EXPECT_EQ(c.study_instance_uid, "1.2.3.4.5.6.1");
  EXPECT_EQ(c.series_instance_uid, "1.2.3.4.5.6.2");
  EXPECT_EQ(c.sop_instance_uid, "1.2.3.4.5.6.3");
  EXPECT_EQ(c.sop_class_uid, "1.2.840.10008.5.1.4.1.1.2");
  EXPECT_TRUE(check([](DcmDataset&) {}, v1()).accepted());
}

TEST_F(dicomStowCheck, NotAPart10FileIsAProcessingFailure) {
  std::string path = dir_.path + "/not-dicom.dcm";
  std::ofstream(path) << "hello";
  std::string error;
  EXPECT_EQ(Instance::open(path, &error), nullptr);
  EXPECT_FALSE(error.empty());
  StowCheck c = unreadable_instance(error);
  EXPECT_EQ(c.failure_reason, failure::kProcessingFailure);
  EXPECT_EQ(c.message, error);
  EXPECT_EQ(Instance::open(dir_.path + "/missing.dcm", &error), nullptr);
}

TEST_F(dicomStowCheck, EachMissingRequiredUidFails43264) {
  for (const DcmTagKey& key : {DCM_StudyInstanceUID, DCM_SeriesInstanceUID, DCM_SOPInstanceUID, DCM_SOPClassUID}) {
    for (StowOptions options : {StowOptions{}, v1()}) {
      StowCheck c = check([&](DcmDataset& ds) { ds.findAndDeleteElement(key); }, options);
      EXPECT_EQ(c.failure_reason, failure::kValidationFailed) << key.toString().c_str();
      ASSERT_EQ(c.failed_attributes.size(), 1u);
      EXPECT_EQ(c.failed_attributes[0].tag, make_tag(key.getGroup(), key.getElement()));
      EXPECT_NE(c.failed_attributes[0].comment.find("is missing"), std::string::npos);
      EXPECT_FALSE(c.message.empty());
    }
  }
}

TEST_F(dicomStowCheck, InvalidRequiredUidsFail43264InV1AndV2) {
  auto set = [](const DcmTagKey& key, const char* value) {
    return [=](DcmDataset& ds) { ds.putAndInsertString(key, value); };
  };
  for (StowOptions options : {StowOptions{}, v1()}) {
    EXPECT_EQ(check(set(DCM_StudyInstanceUID, "1.2.abc"), options).failure_reason, failure::kValidationFailed);
    EXPECT_EQ(check(set(DCM_SeriesInstanceUID, "1..2"), options).failure_reason, failure::kValidationFailed);
    EXPECT_EQ(check(set(DCM_SOPInstanceUID, std::string(65, '1').c_str()), options).failure_reason,
              failure::kValidationFailed);
    EXPECT_EQ(check(set(DCM_SOPInstanceUID, "1.2.3\\1.2.4"), options).failure_reason,  // two values
              failure::kValidationFailed);
    EXPECT_EQ(check(set(DCM_SOPClassUID, ""), options).failure_reason, failure::kValidationFailed);
  }
  StowCheck c = check(set(DCM_StudyInstanceUID, "1.2.abc"));
  EXPECT_EQ(failed_tags(c), std::vector<Tag>{tags::kStudyInstanceUID});
  EXPECT_NE(c.failed_attributes[0].comment.find("(0020,000D) StudyInstanceUID \"1.2.abc\" is not a valid UID"),
            std::string::npos)
      << c.failed_attributes[0].comment;
}

TEST_F(dicomStowCheck, PatientIdMustBePresentAndInV1HaveAValue) {
  auto remove = [](DcmDataset& ds) { ds.findAndDeleteElement(DCM_PatientID); };
  auto empty = [](DcmDataset& ds) { ds.putAndInsertString(DCM_PatientID, ""); };
  auto too_long = [](DcmDataset& ds) { ds.putAndInsertString(DCM_PatientID, std::string(65, 'p').c_str()); };
  EXPECT_EQ(check(remove).failure_reason, failure::kValidationFailed);
  EXPECT_EQ(check(remove, v1()).failure_reason, failure::kValidationFailed);
  EXPECT_TRUE(check(empty).accepted());  // v2: may be empty
  StowCheck c = check(empty, v1());
  EXPECT_EQ(c.failure_reason, failure::kValidationFailed);
  EXPECT_EQ(failed_tags(c), std::vector<Tag>{tags::kPatientID});
  EXPECT_EQ(check(too_long).failure_reason, failure::kValidationFailed);
  EXPECT_EQ(check(too_long, v1()).failure_reason, failure::kValidationFailed);
}

TEST_F(dicomStowCheck, StudyOfTheUrlMustMatch43265) {
  StowOptions other;
  other.study_uid = "1.2.3.999";
  StowCheck c = check([](DcmDataset&) {}, other);
  EXPECT_EQ(c.failure_reason, failure::kStudyUidMismatch);
  EXPECT_NE(c.message.find("1.2.3.999"), std::string::npos);
  EXPECT_EQ(check([](DcmDataset&) {}, v1("1.2.3.999")).failure_reason, failure::kStudyUidMismatch);
  StowOptions same;
  same.study_uid = "1.2.3.4.5.6.1";
  EXPECT_TRUE(check([](DcmDataset&) {}, same).accepted());
  // a missing required attribute is reported before the mismatch
  StowCheck both = check([](DcmDataset& ds) { ds.findAndDeleteElement(DCM_SeriesInstanceUID); }, other);
  EXPECT_EQ(both.failure_reason, failure::kValidationFailed);
}

TEST_F(dicomStowCheck, InvalidSearchableAttributeRejectsInV1WarnsInV2) {
  auto bad_date = [](DcmDataset& ds) { ds.putAndInsertString(DCM_StudyDate, "2024-01-31"); };
  StowCheck v2 = check(bad_date);
  EXPECT_TRUE(v2.accepted());
  EXPECT_EQ(v2.warning_reasons, std::vector<uint16_t>{warning::kDatasetDoesNotMatchSopClass});
  ASSERT_EQ(failed_tags(v2), std::vector<Tag>{tags::kStudyDate});
  EXPECT_EQ(v2.failed_attributes[0].comment,
            "(0008,0020) StudyDate \"2024-01-31\" is not a valid DA (YYYYMMDD)");
  StowCheck strict = check(bad_date, v1());
  EXPECT_EQ(strict.failure_reason, failure::kValidationFailed);
  EXPECT_EQ(failed_tags(strict), std::vector<Tag>{tags::kStudyDate});
}

TEST_F(dicomStowCheck, EverySearchableAttributeIsChecked) {
  struct Case {
    DcmTagKey key;
    std::string value;
  };
  const Case cases[] = {
      {DCM_PatientName, "a=b=c=d"},
      {DCM_PatientBirthDate, "19991399"},
      {DCM_AccessionNumber, std::string(17, 'A')},
      {DCM_ReferringPhysicianName, "a^b^c^d^e^f"},
      {DCM_StudyDate, "yesterday"},
      {DCM_StudyDescription, std::string(65, 'd')},
      {DCM_Modality, "ct"},
      {DCM_PerformedProcedureStepStartDate, "2024"},
      {DCM_ManufacturerModelName, std::string(65, 'm')},
  };
  for (const Case& k : cases) {
    StowCheck c = check([&](DcmDataset& ds) { ds.putAndInsertString(k.key, k.value.c_str()); }, v1());
    EXPECT_EQ(c.failure_reason, failure::kValidationFailed) << k.key.toString().c_str();
    EXPECT_EQ(failed_tags(c), std::vector<Tag>{make_tag(k.key.getGroup(), k.key.getElement())});
  }
  // all problems of an instance are listed
  StowCheck many = check([](DcmDataset& ds) {
    ds.putAndInsertString(DCM_StudyDate, "x");
    ds.putAndInsertString(DCM_Modality, "mr");
  });
  EXPECT_EQ(failed_tags(many), (std::vector<Tag>{tags::kStudyDate, tags::kModality}));
}

TEST_F(dicomStowCheck, SearchableAttributeWithAnotherVrFails) {
  StowCheck c = check(
      [](DcmDataset& ds) {
        ds.findAndDeleteElement(DCM_StudyDate);
        auto* lo = new DcmLongString(DcmTag(DCM_StudyDate, EVR_LO));
        lo->putString("20240131");
        ds.insert(lo);
      },
      v1());
  EXPECT_EQ(c.failure_reason, failure::kValidationFailed);
  ASSERT_EQ(failed_tags(c), std::vector<Tag>{tags::kStudyDate});
  EXPECT_NE(c.failed_attributes[0].comment.find("has VR LO, expected DA"), std::string::npos);
}

TEST_F(dicomStowCheck, ExtendedQueryTagsAreCheckedLikeSearchableOnes) {
  auto body_part = [](DcmDataset& ds) { ds.putAndInsertString(DCM_BodyPartExamined, "chest"); };
  EXPECT_TRUE(check(body_part, v1()).accepted());  // not searchable unless asked
  StowOptions options = v1();
  options.extended_query_tags.push_back({make_tag(0x0018, 0x0015), "CS", ""});
  StowCheck c = check(body_part, options);
  EXPECT_EQ(c.failure_reason, failure::kValidationFailed);
  EXPECT_EQ(failed_tags(c), std::vector<Tag>{make_tag(0x0018, 0x0015)});
}

TEST_F(dicomStowCheck, ImplicitVrIsAcceptedWithWarning45063) {
  StowCheck c = check([](DcmDataset&) {}, {}, "1.2.840.10008.1.2");
  EXPECT_TRUE(c.accepted());
  EXPECT_EQ(c.warning_reasons, std::vector<uint16_t>{warning::kDatasetDoesNotMatchSopClass});
  EXPECT_TRUE(c.failed_attributes.empty());
  // with an invalid searchable attribute too, the warning is given once
  StowCheck both = check([](DcmDataset& ds) { ds.putAndInsertString(DCM_StudyDate, "x"); }, {}, "1.2.840.10008.1.2");
  EXPECT_EQ(both.warning_reasons, std::vector<uint16_t>{warning::kDatasetDoesNotMatchSopClass});
  EXPECT_EQ(failed_tags(both), std::vector<Tag>{tags::kStudyDate});
}

TEST_F(dicomStowCheck, PaddedUidsAreComparedWithoutPadding) {
  StowOptions options;
  options.study_uid = "1.2.3.4.5.6.1 ";
  StowCheck c = check([](DcmDataset& ds) { ds.putAndInsertString(DCM_StudyInstanceUID, "1.2.3.4.5.6.1\0"); },
                      options);
  EXPECT_TRUE(c.accepted()) << c.message;
}

}  // namespace
}  // namespace healthd::dicom
