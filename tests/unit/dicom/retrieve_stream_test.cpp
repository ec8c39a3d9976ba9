#include "dicom/retrieve_stream.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "test_support.h"

namespace healthd::dicom {
namespace {

constexpr const char* kExplicitLE = "1.2.840.10008.1.2.1";

StoredFile stored(const std::string& path, const std::string& bytes, const std::string& sop) {
  std::ofstream(path, std::ios::binary) << bytes;
  StoredFile f;
  f.sop_uid = sop;
  f.transfer_syntax_uid = kExplicitLE;
  f.path = path;
  f.size = static_cast<int64_t>(bytes.size());
  return f;
}

std::string drain(BodySource& source, size_t piece) {
  std::string all, out;
  while (source.next(out, piece)) {
    EXPECT_FALSE(out.empty());
    all += out;
  }
  EXPECT_TRUE(out.empty());
  return all;
}

// The streamed body is the one MultipartWriter builds in memory, whatever the piece size.
TEST(dicomRetrieveStream, SameBytesAsTheInMemoryMultipart) {
  testing::TempDir dir;
  const std::string a(300000, 'a'), b = "small", c;  // an empty file is a part too
  std::vector<StoredFile> files = {stored(dir.path + "/a.dcm", a, "1.1"), stored(dir.path + "/b.dcm", b, "1.2"),
                                   stored(dir.path + "/c.dcm", c, "1.3")};
  for (size_t piece : {size_t{1}, size_t{7}, size_t{4096}, size_t{1} << 20}) {
    MultipartWriter framing;
    MultipartWriter expected = framing;  // the same boundary
    for (const std::string* bytes : {&a, &b, &c})
      expected.add(std::string("application/dicom; transfer-syntax=") + kExplicitLE, *bytes);
    const std::string want = expected.finish();

    RetrieveStream stream(files, "*", framing);
    ASSERT_TRUE(stream.size().has_value());
    EXPECT_EQ(*stream.size(), want.size());
    EXPECT_EQ(drain(stream, piece), want) << "piece " << piece;
  }
}

TEST(dicomRetrieveStream, OneInstanceAloneIsItsFile) {
  testing::TempDir dir;
  const std::string bytes(70000, 'x');
  RetrieveStream stream({stored(dir.path + "/a.dcm", bytes, "1.1")}, kExplicitLE, std::nullopt);
  EXPECT_EQ(stream.size(), std::optional<uint64_t>(bytes.size()));
  EXPECT_EQ(drain(stream, 4096), bytes);
}

TEST(dicomRetrieveStream, MissingFileFailsBeforeAndChangedFileWhileSending) {
  testing::TempDir dir;
  StoredFile gone = stored(dir.path + "/gone.dcm", "abc", "1.1");
  std::filesystem::remove(gone.path);
  EXPECT_THROW(RetrieveStream({gone}, "*", MultipartWriter()), std::runtime_error);

  StoredFile first = stored(dir.path + "/a.dcm", "first", "1.1");
  StoredFile second = stored(dir.path + "/b.dcm", "second", "1.2");
  RetrieveStream stream({first, second}, "*", MultipartWriter());
  std::ofstream(second.path, std::ios::binary) << "replaced by a longer file";  // as an overwrite would
  std::string out;
  EXPECT_THROW(
      {
        while (stream.next(out, 4)) {
        }
      },
      std::runtime_error);
}

}  // namespace
}  // namespace healthd::dicom
