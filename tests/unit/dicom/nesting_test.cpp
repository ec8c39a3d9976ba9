// Sequences nested deeper than OpenOptions::max_sequence_depth are refused before DCMTK parses
// them (it recurses without a limit and overflows the stack), in every encoding.
#include <gtest/gtest.h>
#include <zlib.h>

#include <fstream>

#include "dicom/instance.h"
#include "test_support.h"

namespace healthd::dicom {
namespace {

constexpr uint32_t kUndefined = 0xFFFFFFFF;

std::string u16(uint16_t v) { return {static_cast<char>(v & 0xFF), static_cast<char>(v >> 8)}; }
std::string u32(uint32_t v) { return u16(v & 0xFFFF) + u16(v >> 16); }
std::string tag(uint16_t g, uint16_t e) { return u16(g) + u16(e); }
std::string item(uint32_t len) { return tag(0xFFFE, 0xE000) + u32(len); }
std::string delimiters() { return tag(0xFFFE, 0xE00D) + u32(0) + tag(0xFFFE, 0xE0DD) + u32(0); }

std::string short_element(uint16_t g, uint16_t e, const char* vr, std::string value) {
  return tag(g, e) + vr + u16(static_cast<uint16_t>(value.size())) + value;
}

// Preamble, "DICM", File Meta Information, then the data set bytes.
std::string part10(const std::string& ts, const std::string& dataset) {
  std::string meta = tag(2, 1) + "OB" + u16(0) + u32(2) + std::string("\0\1", 2) +
                     short_element(2, 2, "UI", std::string("1.2.840.10008.5.1.4.1.1.7", 26)) +
                     short_element(2, 3, "UI", "1.2.3.4.5.6.3") +
                     short_element(2, 0x10, "UI", ts.size() % 2 ? ts + '\0' : ts);
  meta = short_element(2, 0, "UL", u32(static_cast<uint32_t>(meta.size()))) + meta;
  return std::string(128, '\0') + "DICM" + meta + dataset;
}

// Explicit VR little endian, undefined lengths.
std::string explicit_nested(int depth) {
  std::string open, close;
  for (int i = 0; i < depth; ++i) {
    open += tag(0x0008, 0x1140) + "SQ" + u16(0) + u32(kUndefined) + item(kUndefined);
    close += delimiters();
  }
  return open + close;
}

// Implicit VR little endian, defined lengths, innermost first; seq is the sequence tag.
std::string implicit_nested(int depth, uint16_t group, uint16_t element) {
  std::string content;
  for (int i = 0; i < depth; ++i) {
    std::string it = item(static_cast<uint32_t>(content.size())) + content;
    content = tag(group, element) + u32(static_cast<uint32_t>(it.size())) + it;
  }
  return content;
}

std::string deflate_raw(const std::string& data) {
  z_stream z{};
  EXPECT_EQ(deflateInit2(&z, 9, Z_DEFLATED, -MAX_WBITS, 8, Z_DEFAULT_STRATEGY), Z_OK);
  std::string out(deflateBound(&z, data.size()), '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  z.avail_in = static_cast<uInt>(data.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(deflate(&z, Z_FINISH), Z_STREAM_END);
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

class dicomNesting : public ::testing::Test {
 protected:
  // "opened" or Instance::open's error; Instance::parse of the same bytes in memory must agree.
  std::string open(const std::string& bytes, int max_depth = 64) {
    std::string path = dir_.path + "/n.dcm";
    std::ofstream(path, std::ios::binary | std::ios::trunc) << bytes;
    std::string error, parse_error;
    OpenOptions options;
    options.max_sequence_depth = max_depth;
    const std::string opened = Instance::open(path, &error, options) ? "opened" : error;
    const std::string parsed = Instance::parse(bytes, &parse_error, options) ? "opened" : parse_error;
    EXPECT_EQ(parsed, opened) << "from memory";
    return opened;
  }

  testing::TempDir dir_;
};

const char kTooDeep[] = "not a readable DICOM file: sequences nest deeper than 64 levels";

TEST_F(dicomNesting, ExplicitUndefinedLengths) {
  EXPECT_EQ(open(part10("1.2.840.10008.1.2.1", explicit_nested(64))), "opened");
  EXPECT_EQ(open(part10("1.2.840.10008.1.2.1", explicit_nested(65))), kTooDeep);
  EXPECT_EQ(open(part10("1.2.840.10008.1.2.1", explicit_nested(100000))), kTooDeep);  // 2 MB: DCMTK alone would crash
  EXPECT_EQ(open(part10("1.2.840.10008.1.2.1", explicit_nested(10)), 5),
            "not a readable DICOM file: sequences nest deeper than 5 levels");
}

TEST_F(dicomNesting, ImplicitDefinedLengths) {
  EXPECT_EQ(open(part10("1.2.840.10008.1.2", implicit_nested(64, 0x0008, 0x1140))), "opened");
  EXPECT_EQ(open(part10("1.2.840.10008.1.2", implicit_nested(65, 0x0008, 0x1140))), kTooDeep);
  EXPECT_EQ(open(part10("1.2.840.10008.1.2", implicit_nested(20000, 0x0008, 0x1140))), kTooDeep);
  // a private sequence: recognised by the item that starts its value
  std::string priv = tag(0x0009, 0x0010) + u32(12) + "HEALTHD TEST";
  EXPECT_EQ(open(part10("1.2.840.10008.1.2", priv + implicit_nested(20000, 0x0009, 0x1001))), kTooDeep);
}

TEST_F(dicomNesting, UnknownVrHoldingImplicitItems) {
  // CP-246: UN of undefined length holds implicit VR little endian items
  std::string inner = implicit_nested(100, 0x0008, 0x1140);
  std::string un = tag(0x0009, 0x1001) + "UN" + u16(0) + u32(kUndefined) + item(kUndefined) + inner + delimiters();
  std::string priv = short_element(0x0009, 0x0010, "LO", "HEALTHD TEST");
  EXPECT_EQ(open(part10("1.2.840.10008.1.2.1", priv + un)), kTooDeep);
}

TEST_F(dicomNesting, BigEndianAndDeflated) {
  std::string big;
  for (int i = 0; i < 100; ++i) big += std::string("\x00\x08\x11\x40SQ\0\0\xFF\xFF\xFF\xFF\xFF\xFE\xE0\x00\xFF\xFF\xFF\xFF", 20);
  EXPECT_EQ(open(part10("1.2.840.10008.1.2.2", big)), kTooDeep);
  EXPECT_EQ(open(part10("1.2.840.10008.1.2.1.99", deflate_raw(explicit_nested(100000)))), kTooDeep);
  EXPECT_EQ(open(part10("1.2.840.10008.1.2.1.99", deflate_raw(explicit_nested(3)))), "opened");
}

TEST_F(dicomNesting, RealFilesAreNotRefused) {
  for (const char* file : {"rtplan.dcm", "test-SR.dcm", "dicomdirtests/DICOMDIR", "UN_sequence.dcm",
                           "nested_priv_SQ.dcm", "image_dfl.dcm", "MR_small_bigendian.dcm"})
    EXPECT_TRUE(Instance::open(testing::kTestFiles + "/" + file, nullptr)) << file;
}

}  // namespace
}  // namespace healthd::dicom
