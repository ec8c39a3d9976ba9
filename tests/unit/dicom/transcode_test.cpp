// Transcoding and rendering with the registered codecs, on pydicom's test files.
#include "dicom/transcode.h"

#include <gtest/gtest.h>

#include <fstream>

#include "dicom/instance.h"
#include "dicom/render.h"
#include "test_support.h"

namespace healthd::dicom {
namespace {

TranscodeResult transcode_to(const std::string& file, std::string_view target, std::string& out) {
  out.clear();
  return transcode_file(testing::kTestFiles + "/" + file, target, [&](const char* d, size_t n) {
    out.append(d, n);
    return true;
  });
}

// The written bytes open as a Part 10 file in the target syntax.
std::string syntax_of(const std::string& bytes) {
  testing::TempDir dir;
  const std::string path = dir.path + "/out.dcm";
  std::ofstream(path, std::ios::binary) << bytes;
  std::string error;
  auto instance = Instance::open(path, &error);
  return instance ? instance->transfer_syntax_uid() : "unreadable: " + error;
}

TEST(dicomTranscode, WritesTheTargetSyntax) {
  std::string out;
  for (const char* target : {"1.2.840.10008.1.2.1", "1.2.840.10008.1.2", "1.2.840.10008.1.2.2",
                             "1.2.840.10008.1.2.1.99", "1.2.840.10008.1.2.5", "1.2.840.10008.1.2.4.70",
                             "1.2.840.10008.1.2.4.80"}) {
    TranscodeResult r = transcode_to("MR_small_RLE.dcm", target, out);
    ASSERT_TRUE(r.ok()) << target << ": " << r.message;
    EXPECT_EQ(out.substr(128, 4), "DICM");
    EXPECT_EQ(syntax_of(out), target);
  }
}

TEST(dicomTranscode, SignedPixelsBelowBitsAllocatedAreNotGivenToJpegLs) {
  // 693_J2KI: 14 of 16 bits stored, signed. CharLS asserts (aborts the process) on such samples;
  // the transcoder refuses them instead.
  std::string out;
  TranscodeResult r = transcode_to("693_J2KI.dcm", "1.2.840.10008.1.2.4.80", out);
  EXPECT_EQ(r.status, TranscodeStatus::CannotEncode);
  EXPECT_NE(r.message.find("signed pixels"), std::string::npos) << r.message;
  // unsigned, 12 of 16 bits: encoded
  r = transcode_to("JPGExtended.dcm", "1.2.840.10008.1.2.4.80", out);
  EXPECT_TRUE(r.ok()) << r.message;
}

TEST(dicomTranscode, RefusalsSayWhy) {
  std::string out;
  TranscodeResult r = transcode_to("rtdose.dcm", "1.2.840.10008.1.2.4.80", out);  // 32-bit pixels
  EXPECT_EQ(r.status, TranscodeStatus::CannotEncode);
  EXPECT_NE(r.message.find("JPEG-LS Lossless"), std::string::npos) << r.message;
  r = transcode_to("JPEG2000-embedded-sequence-delimiter.dcm", "1.2.840.10008.1.2.1", out);
  EXPECT_EQ(r.status, TranscodeStatus::CannotDecode) << r.message;
  EXPECT_EQ(can_transcode("1.2.840.10008.1.2.1", "1.2.840.10008.1.2.4.100").status, TranscodeStatus::UnsupportedTarget);
  EXPECT_TRUE(can_transcode("1.2.840.10008.1.2.1", "1.2.840.10008.1.2.4.90").ok());
  EXPECT_EQ(can_transcode("1.2.840.10008.1.2.4.100", "1.2.840.10008.1.2.1").status, TranscodeStatus::CannotDecode);
  EXPECT_TRUE(can_transcode("1.2.840.10008.1.2.4.91", "1.2.840.10008.1.2.5").ok());
}

TEST(dicomRender, JpegAndPngOfTheFrame) {
  std::string out, error;
  RenderOptions options;
  auto open = [](const std::string& name) {
    auto instance = Instance::open(testing::kTestFiles + "/" + name, nullptr);
    EXPECT_NE(instance, nullptr) << name;
    return instance;
  };
  auto rgb = open("SC_rgb_rle_2frame.dcm");
  ASSERT_TRUE(render_frame(*rgb, options, out, &error)) << error;
  EXPECT_EQ(out.substr(0, 3), "\xFF\xD8\xFF");
  options.format = ImageFormat::Png;
  options.frame = 1;
  ASSERT_TRUE(render_frame(*rgb, options, out, &error)) << error;
  EXPECT_EQ(out.substr(0, 8), "\x89PNG\r\n\x1A\n");
  EXPECT_FALSE(render_frame(*open("rtplan.dcm"), options, out, &error));
  EXPECT_FALSE(error.empty());
}

}  // namespace
}  // namespace healthd::dicom
