// Bad input never crashes: damaged copies of real files (bytes overwritten, files cut short) go
// through everything the library does with an upload, and each call returns an answer.
#include <gtest/gtest.h>

#include <fstream>
#include <random>
#include <sstream>

#include "dicom/bulk.h"
#include "dicom/index.h"
#include "dicom/instance.h"
#include "dicom/json_model.h"
#include "dicom/stow.h"
#include "test_support.h"

namespace healthd::dicom {
namespace {

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Opens, checks, models (every binary inline, then every one as a path read back) and indexes.
void exercise(const std::string& path) {
  std::string error;
  auto instance = Instance::open(path, &error);
  if (!instance) {
    EXPECT_FALSE(error.empty());
    return;
  }
  check_stow(*instance, {ApiVersion::kV1, "1.2.3", {}});
  extract_index(*instance, {{make_tag(0x0018, 0x0015), "CS", ""}});
  json::Document inline_doc;
  to_dicom_json(*instance, {"B", 1 << 20, 0}, inline_doc, inline_doc.GetAllocator(), &error);
  json::Document doc;
  if (!to_dicom_json(*instance, {"", 0, 64}, doc, doc.GetAllocator(), &error)) return;
  std::vector<const json::Value*> stack{&doc};
  while (!stack.empty()) {
    const json::Value* ds = stack.back();
    stack.pop_back();
    for (auto& m : ds->GetObject()) {
      if (auto uri = json::get_string(m.value, "BulkDataURI"))
        read_bulk(*instance, *uri, [](const char*, size_t) { return true; }, &error);
      if (const json::Value* items = json::get_member(m.value, "Value"))
        for (auto& item : items->GetArray())
          if (item.IsObject() && !json::get_member(item, "Alphabetic")) stack.push_back(&item);
    }
  }
}

// The STOW path for a part in memory: parse, check, index, DICOM JSON text. Whether the bytes
// are accepted is the same as from a file (a STOW answer does not depend on how the body came).
void exercise_memory(const std::string& bytes, bool opened_from_file) {
  std::string error;
  auto instance = Instance::parse(bytes, &error);
  EXPECT_EQ(instance != nullptr, opened_from_file) << error;
  if (!instance) {
    EXPECT_FALSE(error.empty());
    return;
  }
  check_stow(*instance, {ApiVersion::kV2, "", {}});
  extract_index(*instance, {{make_tag(0x0018, 0x0015), "CS", ""}});
  to_dicom_json_text(*instance, {"B", 0, 0}, &error);
}

TEST(dicomRobustness, DamagedFilesNeverCrash) {
  testing::TempDir dir;
  std::mt19937 random(20240131);
  const char* sources[] = {"CT_small.dcm", "MR_small_implicit.dcm", "MR_small_bigendian.dcm",
                           "rtplan.dcm", "test-SR.dcm", "SC_rgb_rle.dcm", "image_dfl.dcm",
                           "JPEG2000.dcm", "dicomdirtests/DICOMDIR", "waveform_ecg.dcm"};
  int opened = 0, runs = 0;
  for (const char* source : sources) {
    const std::string original = slurp(testing::kTestFiles + "/" + source);
    ASSERT_GT(original.size(), 200u) << source;
    for (int variant = 0; variant < 100; ++variant) {
      std::string damaged = original;
      if (variant % 4 == 0) {
        damaged.resize(132 + random() % (damaged.size() - 132));  // cut short
      } else {
        for (int k = 0; k < 1 + variant % 8; ++k) {  // overwrite bytes after the preamble
          size_t at = 132 + random() % (damaged.size() - 132);
          damaged[at] = static_cast<char>(k % 2 ? 0xFF : random() % 256);
        }
      }
      std::string path = dir.path + "/damaged.dcm";
      std::ofstream(path, std::ios::binary | std::ios::trunc) << damaged;
      SCOPED_TRACE(std::string(source) + " variant " + std::to_string(variant));
      exercise(path);
      const bool from_file = Instance::open(path, nullptr) != nullptr;
      exercise_memory(damaged, from_file);
      opened += from_file;
      ++runs;
    }
  }
  std::printf("%d of %d damaged files still opened\n", opened, runs);
}

}  // namespace
}  // namespace healthd::dicom
