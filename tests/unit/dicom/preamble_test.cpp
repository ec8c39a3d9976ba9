#include "dicom/preamble.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "test_support.h"

namespace healthd::dicom {
namespace {

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

TEST(dicomPreamble, ZeroedInPlaceTheRestUntouched) {
  testing::TempDir dir;
  std::string original = slurp(testing::kTestFiles + "/CT_small.dcm");
  std::string uploaded = original;
  for (int i = 0; i < 128; ++i) uploaded[i] = static_cast<char>('A' + i % 26);  // e.g. a TIFF header
  std::string path = dir.path + "/stored.dcm";
  std::ofstream(path, std::ios::binary) << uploaded;

  std::string error;
  ASSERT_TRUE(zero_preamble(path, &error)) << error;
  std::string stored = slurp(path);
  ASSERT_EQ(stored.size(), uploaded.size());
  EXPECT_EQ(stored.substr(0, 128), std::string(128, '\0'));
  EXPECT_EQ(stored.substr(128), uploaded.substr(128));
}

TEST(dicomPreamble, RefusesWhatIsNotPart10) {
  testing::TempDir dir;
  std::string path = dir.path + "/x";
  std::string text(200, 'x');
  std::ofstream(path, std::ios::binary) << text;
  std::string error;
  EXPECT_FALSE(zero_preamble(path, &error));
  EXPECT_NE(error.find("DICM"), std::string::npos);
  EXPECT_EQ(slurp(path), text);  // untouched
  std::ofstream(path, std::ios::binary | std::ios::trunc) << "short";
  EXPECT_FALSE(zero_preamble(path, &error));
  EXPECT_FALSE(zero_preamble(dir.path + "/missing", &error));
}

}  // namespace
}  // namespace healthd::dicom
