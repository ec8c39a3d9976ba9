// STOW's fast reader (raw_dataset.h) against DCMTK: for every test file, synthesized corner case
// and damaged copy it accepts, the DICOM JSON, the STOW checks and the index are exactly what
// the DCMTK path gives; what it declines, DCMTK reads.
#include "dicom/raw_dataset.h"

#include <gtest/gtest.h>

#include <fstream>
#include <random>
#include <sstream>

#include "dicom/index.h"
#include "dicom/instance.h"
#include "dicom/json_model.h"
#include "dicom/stow.h"
#include "test_support.h"

namespace healthd::dicom {
namespace {

using detail::RawDataset;

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Extended query tags of several VRs, standard and private (the edge cases' creator and GE's).
const std::vector<ExtendedQueryTag> kExtended = {
    {make_tag(0x0018, 0x0015), "CS", ""},              {make_tag(0x0010, 0x1010), "AS", ""},
    {make_tag(0x0008, 0x0070), "LO", ""},              {make_tag(0x0018, 0x0050), "DS", ""},
    {make_tag(0x0028, 0x0101), "US", ""},              {make_tag(0x0018, 0x1030), "LO", ""},
    {make_tag(0x0009, 0x1001), "LO", "HEALTHD TEST"}, {make_tag(0x0009, 0x1001), "LO", "GEMS_IDEN_01"},
    {make_tag(0x0008, 0x0022), "DA", ""},              {make_tag(0x0020, 0x0012), "IS", ""},
};

std::string check_text(const StowCheck& c) {
  std::string out = std::to_string(c.failure_reason) + "|" + c.message + "|" + c.study_instance_uid + "|" +
                    c.series_instance_uid + "|" + c.sop_instance_uid + "|" + c.sop_class_uid + "|";
  for (uint16_t w : c.warning_reasons) out += std::to_string(w) + ",";
  for (const auto& f : c.failed_attributes) out += "|" + std::to_string(f.tag) + " " + f.comment;
  return out;
}

// True when the fast reader accepts bytes; then everything STOW takes from it must equal what
// DCMTK's reading gives.
bool read_as_dcmtk_reads(const std::string& bytes, const std::string& label) {
  SCOPED_TRACE(label);
  auto raw = RawDataset::read(bytes, OpenOptions().max_sequence_depth);
  if (!raw) return false;
  std::string error;
  auto instance = Instance::parse(bytes, &error);
  EXPECT_NE(instance, nullptr) << "the fast reader accepted what DCMTK refuses: " << error;
  if (!instance) return true;
  EXPECT_EQ(raw->transfer_syntax_uid(), instance->transfer_syntax_uid());

  std::string raw_error, dcmtk_error;
  EXPECT_EQ(to_dicom_json_text(*raw, {"B", 0, 0}, &raw_error), to_dicom_json_text(*instance, {"B", 0, 0}, &dcmtk_error));
  EXPECT_EQ(raw_error, dcmtk_error);
  EXPECT_EQ(testing::index_text(extract_index(*raw, kExtended)), testing::index_text(extract_index(*instance, kExtended)));
  for (ApiVersion version : {ApiVersion::kV1, ApiVersion::kV2})
    for (const char* study : {"", "1.2.3"}) {
      StowOptions options{version, study, kExtended};
      EXPECT_EQ(check_text(check_stow(*raw, options)), check_text(check_stow(*instance, options)))
          << "v" << (version == ApiVersion::kV1 ? 1 : 2) << " study " << study;
    }
  return true;
}

TEST(dicomRawDataset, EveryTestFileIsReadAsDcmtkReadsItOrDeclined) {
  size_t accepted = 0, files = 0;
  for (const std::string& name : testing::all_test_files()) {
    ++files;
    accepted += read_as_dcmtk_reads(slurp(testing::kTestFiles + "/" + name), name);
  }
  testing::TempDir dir;
  for (const std::string& name : testing::write_edge_cases(dir.path)) {
    ++files;
    accepted += read_as_dcmtk_reads(slurp(dir.path + "/" + name), name);
  }
  std::printf("the fast reader read %zu of %zu files\n", accepted, files);
  EXPECT_GE(accepted, 120u);  // 131 of 171: Explicit VR little endian and the encapsulated syntaxes
}

TEST(dicomRawDataset, TheCommonEncodingsAreReadAndTheOthersDeclined) {
  for (const char* name : {"CT_small.dcm", "MR_small.dcm", "JPEG2000.dcm", "SC_rgb_rle.dcm", "JPGExtended.dcm",
                           "MR_small_jpeg_ls_lossless.dcm", "SC_rgb_rle_16bit.dcm"})
    EXPECT_TRUE(RawDataset::read(slurp(testing::kTestFiles + "/" + name), 64)) << name;
  // Implicit VR (VRs from the dictionary), big endian, deflate, no File Meta Information, a UN
  // element: DCMTK reads these.
  for (const char* name : {"MR_small_implicit.dcm", "MR_small_bigendian.dcm", "image_dfl.dcm", "no_meta.dcm",
                           "UN_sequence.dcm"})
    EXPECT_FALSE(RawDataset::read(slurp(testing::kTestFiles + "/" + name), 64)) << name;
}

TEST(dicomRawDataset, NestingDeeperThanAllowedIsDeclinedAndRefusedByTheDcmtkPath) {
  // 693_J2KI.dcm nests two sequences deep: (0008,2112) holds (0040,A170).
  const std::string ct = slurp(testing::kTestFiles + "/693_J2KI.dcm");
  EXPECT_TRUE(RawDataset::read(ct, 2));
  EXPECT_FALSE(RawDataset::read(ct, 1));
  OpenOptions shallow;
  shallow.max_sequence_depth = 1;
  std::string error;
  EXPECT_EQ(Instance::parse(ct, &error, shallow), nullptr);
  EXPECT_NE(error.find("nest deeper"), std::string::npos) << error;
}

TEST(dicomRawDataset, DamagedCopiesAreReadAsDcmtkReadsThemOrDeclined) {
  std::mt19937 random(20261127);
  int accepted = 0, runs = 0;
  for (const char* source : {"CT_small.dcm", "MR_small.dcm", "JPEG2000.dcm", "SC_rgb_rle.dcm", "rtplan.dcm",
                             "test-SR.dcm", "waveform_ecg.dcm", "nested_priv_SQ.dcm"}) {
    const std::string original = slurp(testing::kTestFiles + "/" + source);
    ASSERT_GT(original.size(), 200u) << source;
    for (int variant = 0; variant < 150; ++variant) {
      std::string damaged = original;
      if (variant % 5 == 0) {
        damaged.resize(132 + random() % (damaged.size() - 132));  // cut short
      } else {
        for (int k = 0; k < 1 + variant % 4; ++k) {  // overwrite bytes after the preamble
          size_t at = 132 + random() % (damaged.size() - 132);
          damaged[at] = static_cast<char>(k % 2 ? 0xFF : random() % 256);
        }
      }
      accepted += read_as_dcmtk_reads(damaged, std::string(source) + " variant " + std::to_string(variant));
      ++runs;
    }
  }
  std::printf("the fast reader read %d of %d damaged copies\n", accepted, runs);
  EXPECT_GT(accepted, 0);
}

}  // namespace
}  // namespace healthd::dicom
