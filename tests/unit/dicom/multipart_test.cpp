// The multipart/related reader and writer, and media types (STOW-RS uploads, WADO-RS answers).
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>

#include "dicom/media_type.h"
#include "dicom/multipart.h"

namespace healthd::dicom {
namespace {

TEST(dicomMultipart, ReadsPartsWithHeadersPreambleAndEpilogue) {
  const std::string body =
      "preamble text\r\n--b1\r\nContent-Type: application/dicom\r\nContent-Length: 3\r\n\r\nabc\r\n"
      "--b1\r\ncontent-type:application/dicom\r\n\r\n\r\n--\r\n--b1--\r\nepilogue";
  std::vector<BodyPart> parts;
  std::string error;
  ASSERT_TRUE(parse_multipart(body, "b1", parts, &error)) << error;
  ASSERT_EQ(parts.size(), 2u);
  EXPECT_EQ(parts[0].content_type, "application/dicom");
  EXPECT_EQ(parts[0].body, "abc");
  EXPECT_EQ(parts[1].content_type, "application/dicom");
  EXPECT_EQ(parts[1].body, "\r\n--");  // bytes that only look like a delimiter stay
}

TEST(dicomMultipart, BinaryBodiesAndBareLineFeeds) {
  std::string payload("\0\x01\r\n-\xff", 6);
  const std::string body = "--xyz\nContent-Type: application/dicom\n\n" + payload + "\n--xyz--";
  std::vector<BodyPart> parts;
  std::string error;
  ASSERT_TRUE(parse_multipart(body, "xyz", parts, &error)) << error;
  ASSERT_EQ(parts.size(), 1u);
  EXPECT_EQ(parts[0].body, payload);
}

TEST(dicomMultipart, PartWithoutHeadersAndEmptyPart) {
  std::vector<BodyPart> parts;
  std::string error;
  ASSERT_TRUE(parse_multipart("--b\r\n\r\nraw\r\n--b\r\n\r\n\r\n--b--", "b", parts, &error)) << error;
  ASSERT_EQ(parts.size(), 2u);
  EXPECT_EQ(parts[0].content_type, "");
  EXPECT_EQ(parts[0].body, "raw");
  EXPECT_EQ(parts[1].body, "");
}

TEST(dicomMultipart, MalformedBodiesSayWhy) {
  std::vector<BodyPart> parts;
  std::string error;
  EXPECT_FALSE(parse_multipart("no boundary here", "b", parts, &error));
  EXPECT_NE(error.find("boundary"), std::string::npos);
  EXPECT_FALSE(parse_multipart("--b\r\nContent-Type: x\r\n\r\ntruncated", "b", parts, &error));
  EXPECT_NE(error.find("not closed"), std::string::npos);
  EXPECT_FALSE(parse_multipart("--b\r\nContent-Type: x", "b", parts, &error));
  EXPECT_NE(error.find("end of headers"), std::string::npos);
  EXPECT_FALSE(parse_multipart("--b--", "", parts, &error));
}

TEST(dicomMultipart, WriterRoundTrips) {
  MultipartWriter w;
  w.add("application/dicom", "first");
  w.begin("application/octet-stream");
  w.append("se", 2);
  w.append("cond", 4);
  w.end();
  const std::string boundary = w.boundary();
  const std::string body = w.finish();
  std::vector<BodyPart> parts;
  std::string error;
  ASSERT_TRUE(parse_multipart(body, boundary, parts, &error)) << error;
  ASSERT_EQ(parts.size(), 2u);
  EXPECT_EQ(parts[0].body, "first");
  EXPECT_EQ(parts[1].content_type, "application/octet-stream");
  EXPECT_EQ(parts[1].body, "second");
}

TEST(dicomMediaType, QuotedAndUnquotedParameters) {
  auto m = parse_media_type(R"(Multipart/Related; type="application/dicom"; boundary="a;b"; transfer-syntax=*)");
  ASSERT_TRUE(m);
  EXPECT_EQ(m->type, "multipart/related");
  EXPECT_EQ(*m->param("type"), "application/dicom");
  EXPECT_EQ(*m->param("boundary"), "a;b");
  EXPECT_EQ(*m->param("transfer-syntax"), "*");
  auto u = parse_media_type("multipart/related; type=application/octet-stream");
  EXPECT_EQ(*u->param("type"), "application/octet-stream");
  EXPECT_FALSE(parse_media_type("nonsense"));
}

TEST(dicomMediaType, AcceptListsWithQualities) {
  auto list = parse_accept(
      R"(multipart/related; type="application/octet-stream"; transfer-syntax=*, application/json;q=0.5, bad, */*)");
  ASSERT_EQ(list.size(), 3u);
  EXPECT_EQ(list[0].type, "multipart/related");
  EXPECT_DOUBLE_EQ(list[1].q, 0.5);
  EXPECT_FALSE(list[1].param("q"));
  EXPECT_EQ(list[2].type, "*/*");
}

// A body read in chunks (a file): delimiters across the 1 MB chunk edge, large parts.
TEST(dicomMultipart, RangesOfALargeBodyReadInChunks) {
  const size_t chunk = 1 << 20;
  std::string first(chunk - 30, 'a');  // its closing delimiter straddles the first chunk's end
  first[100] = '\n';                   // a line feed inside content is no delimiter
  std::string second(3 * chunk + 7, '\0');
  for (size_t i = 0; i < second.size(); ++i) second[i] = static_cast<char>(i * 31 % 251);
  const std::string boundary = "healthd-boundary-0123456789";
  const std::string body = "--" + boundary + "\r\nContent-Type: application/dicom\r\n\r\n" + first + "\r\n--" +
                           boundary + "\r\nContent-Type: application/dicom\r\n\r\n" + second + "\r\n--" + boundary +
                           "--\r\n";
  size_t reads = 0;
  const ReadAt read = [&](uint64_t offset, char* out, size_t n) {
    ++reads;
    if (offset >= body.size()) return size_t{0};
    n = std::min<size_t>(n, body.size() - offset);
    std::memcpy(out, body.data() + offset, n);
    return n;
  };
  std::vector<PartRange> parts;
  std::string error;
  ASSERT_TRUE(parse_multipart_ranges(body.size(), read, boundary, parts, &error)) << error;
  ASSERT_EQ(parts.size(), 2u);
  EXPECT_EQ(parts[0].content_type, "application/dicom");
  EXPECT_EQ(body.substr(parts[0].offset, parts[0].length), first);
  EXPECT_EQ(body.substr(parts[1].offset, parts[1].length), second);
  EXPECT_LT(reads, 20u);  // chunks, not bytes

  // The same body in memory gives the same parts.
  std::vector<BodyPart> views;
  ASSERT_TRUE(parse_multipart(body, boundary, views, &error)) << error;
  ASSERT_EQ(views.size(), 2u);
  EXPECT_EQ(views[1].body, second);

  // Truncated: the last part is not closed.
  const std::string cut = body.substr(0, body.size() - boundary.size() - 10);
  const ReadAt read_cut = [&](uint64_t offset, char* out, size_t n) {
    if (offset >= cut.size()) return size_t{0};
    n = std::min<size_t>(n, cut.size() - offset);
    std::memcpy(out, cut.data() + offset, n);
    return n;
  };
  EXPECT_FALSE(parse_multipart_ranges(cut.size(), read_cut, boundary, parts, &error));
  EXPECT_NE(error.find("not closed"), std::string::npos) << error;
}

}  // namespace
}  // namespace healthd::dicom
