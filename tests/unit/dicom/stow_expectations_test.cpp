// Every file of pydicom's test files gets the STOW outcome stow-expectations.tsv lists for it,
// in v2 and v1: stored (with its warnings) or the FailureReason, with the failed attributes.
#include <gtest/gtest.h>

#include <map>

#include "dicom/instance.h"
#include "dicom/stow.h"
#include "test_support.h"

namespace healthd::dicom {
namespace {

using testing::kTestFiles;

// "stored", "stored 45063", "43264 00100020", "272" (the expectations file's notation).
std::string outcome(const std::string& file, ApiVersion version) {
  std::string error;
  auto instance = Instance::open(kTestFiles + "/" + file, &error);
  StowCheck check = instance ? check_stow(*instance, {version, "", {}}) : unreadable_instance(error);
  std::string s = check.accepted() ? "stored" : std::to_string(check.failure_reason);
  for (uint16_t w : check.warning_reasons) s += " " + std::to_string(w);
  std::string tags;
  for (const FailedAttribute& f : check.failed_attributes) tags += (tags.empty() ? "" : ",") + tag_hex(f.tag);
  if (!tags.empty()) s += " " + tags;
  if (!check.accepted()) {
    EXPECT_FALSE(check.message.empty()) << file;
  }
  return s;
}

TEST(dicomStowExpectations, EveryTestFileGetsItsListedOutcome) {
  std::map<std::string, std::vector<std::string>> expected;
  for (auto& row : testing::read_tsv(testing::here("stow-expectations.tsv"))) {
    ASSERT_GE(row.size(), 3u) << row[0];
    if (row[1] != "stored" || row[2] != "stored") {
      EXPECT_EQ(row.size(), 4u) << row[0] << ": say why it is not simply stored";
    }
    expected[row[0]] = row;
  }
  std::map<std::string, int> counts;
  for (const std::string& file : testing::all_test_files()) {
    auto it = expected.find(file);
    if (it == expected.end()) {
      ADD_FAILURE() << file << " is not listed in stow-expectations.tsv";
      continue;
    }
    EXPECT_EQ(outcome(file, ApiVersion::kV2), it->second[1]) << file << " (v2)";
    EXPECT_EQ(outcome(file, ApiVersion::kV1), it->second[2]) << file << " (v1)";
    counts[it->second[1].substr(0, it->second[1].find(' '))]++;
    expected.erase(it);
  }
  for (auto& [file, row] : expected) ADD_FAILURE() << file << " is listed but does not exist";
  for (auto& [status, n] : counts) std::printf("v2 %s: %d files\n", status.c_str(), n);
}

}  // namespace
}  // namespace healthd::dicom
