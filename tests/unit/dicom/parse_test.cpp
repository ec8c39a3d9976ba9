// Instance::parse (a STOW part in memory) reads every file as Instance::open (a file) does:
// the same files refused, the same DICOM JSON, the same index values.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>

#include "dicom/index.h"
#include "dicom/instance.h"
#include "dicom/json_model.h"
#include "test_support.h"

namespace healthd::dicom {
namespace {

std::string read_all(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

TEST(dicomParse, MemoryReadsEveryTestFileAsTheFileDoes) {
  size_t opened = 0;
  for (const std::string& name : testing::all_test_files()) {
    const std::string path = testing::kTestFiles + "/" + name;
    std::string file_error, memory_error;
    auto from_file = Instance::open(path, &file_error);
    auto from_memory = Instance::parse(read_all(path), &memory_error);
    ASSERT_EQ(from_file != nullptr, from_memory != nullptr) << name << ": " << file_error << memory_error;
    if (!from_file) continue;
    ++opened;
    EXPECT_EQ(from_memory->transfer_syntax_uid(), from_file->transfer_syntax_uid()) << name;
    EXPECT_EQ(from_memory->path(), "");
    JsonOptions options;
    options.bulk_data_base = "B";
    std::string file_json_error, memory_json_error;
    EXPECT_EQ(to_dicom_json_text(*from_memory, options, &memory_json_error),
              to_dicom_json_text(*from_file, options, &file_json_error))
        << name;
    EXPECT_EQ(memory_json_error, file_json_error) << name;
    EXPECT_EQ(testing::index_text(extract_index(*from_memory)), testing::index_text(extract_index(*from_file))) << name;
  }
  EXPECT_GT(opened, 100u);  // most of pydicom's test files are Part 10 files
}

}  // namespace
}  // namespace healthd::dicom
