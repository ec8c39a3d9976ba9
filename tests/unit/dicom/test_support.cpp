#include "test_support.h"

#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmdata/dcdatset.h>
#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcfilefo.h>
#include <dcmtk/dcmdata/dcxfer.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "dicom/index.h"

namespace healthd::dicom::testing {

namespace fs = std::filesystem;

std::string index_text(const IndexAttributes& x) {
  auto text = [](const std::optional<std::string>& v) { return v ? "\"" + *v + "\"" : std::string("-"); };
  std::string out;
  for (const auto* v : {&x.study_instance_uid, &x.patient_name, &x.patient_id, &x.patient_birth_date, &x.patient_sex,
                        &x.accession_number, &x.referring_physician_name, &x.study_date, &x.study_time,
                        &x.study_description, &x.study_id, &x.series_instance_uid, &x.modality, &x.series_date,
                        &x.series_time, &x.series_description, &x.series_number,
                        &x.performed_procedure_step_start_date, &x.manufacturer_model_name, &x.sop_instance_uid,
                        &x.sop_class_uid, &x.instance_number, &x.number_of_frames, &x.rows, &x.columns,
                        &x.bits_allocated})
    out += text(*v) + "|";
  for (const auto& v : x.extended) out += text(v) + "|";
  return out + x.transfer_syntax_uid;
}

std::vector<std::string> all_test_files() {
  std::vector<std::string> out;
  for (const auto& entry : fs::recursive_directory_iterator(kTestFiles))
    if (entry.is_regular_file()) out.push_back(fs::relative(entry.path(), kTestFiles).string());
  std::sort(out.begin(), out.end());
  return out;
}

std::string here(const std::string& name) {
  return std::string(HEALTHD_SOURCE_DIR) + "/tests/unit/dicom/" + name;
}

std::vector<std::vector<std::string>> read_tsv(const std::string& path) {
  std::ifstream in(path);
  EXPECT_TRUE(in.good()) << "cannot read " << path;
  std::vector<std::vector<std::string>> rows;
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line[0] == '#') continue;
    std::vector<std::string> fields;
    std::stringstream ss(line);
    for (std::string field; std::getline(ss, field, '\t');) fields.push_back(field);
    rows.push_back(std::move(fields));
  }
  return rows;
}

TempDir::TempDir() {
  char tmpl[] = "/tmp/healthd-dicom-XXXXXX";
  path = ::mkdtemp(tmpl);
}

TempDir::~TempDir() { fs::remove_all(path); }

void write_instance(const std::string& path, const std::function<void(DcmDataset&)>& fill,
                    const std::string& xfer) {
  DcmFileFormat file;
  fill(*file.getDataset());
  E_TransferSyntax ts = DcmXfer(xfer.c_str()).getXfer();
  ASSERT_NE(ts, EXS_Unknown) << xfer;
  OFCondition st = file.saveFile(path.c_str(), ts);
  ASSERT_TRUE(st.good()) << st.text();
}

void fill_minimal(DcmDataset& ds) {
  ds.putAndInsertString(DCM_SOPClassUID, "1.2.840.10008.5.1.4.1.1.2");
  ds.putAndInsertString(DCM_SOPInstanceUID, "1.2.3.4.5.6.3");
  ds.putAndInsertString(DCM_StudyInstanceUID, "1.2.3.4.5.6.1");
  ds.putAndInsertString(DCM_SeriesInstanceUID, "1.2.3.4.5.6.2");
  ds.putAndInsertString(DCM_PatientID, "PID-1");
  ds.putAndInsertString(DCM_PatientName, "Doe^Jane");
  ds.putAndInsertString(DCM_StudyDate, "20240131");
  ds.putAndInsertString(DCM_Modality, "CT");
}

}  // namespace healthd::dicom::testing
