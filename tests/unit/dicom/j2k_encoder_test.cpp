// JPEG 2000 encoding (j2k_encoder.cpp) on every pydicom test file whose pixels decode: lossless
// (.90) gives back exactly the pixel values, lossy (.91) close ones; what it refuses is listed in
// j2k-expectations.tsv with the reason.
#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmdata/dcdatset.h>
#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcfilefo.h>
#include <dcmtk/dcmdata/dcpixel.h>
#include <dcmtk/dcmdata/dcpixseq.h>
#include <dcmtk/dcmdata/dcpxitem.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <fstream>
#include <algorithm>
#include <map>
#include <memory>

#include "dicom/transcode.h"
#include "test_support.h"

namespace healthd::dicom {
namespace {

constexpr std::string_view kLossless = "1.2.840.10008.1.2.4.90";
constexpr std::string_view kLossy = "1.2.840.10008.1.2.4.91";
constexpr std::string_view kExplicit = "1.2.840.10008.1.2.1";

TranscodeResult transcode_path(const std::string& path, std::string_view target, std::string& out) {
  out.clear();
  return transcode_file(path, target, [&](const char* d, size_t n) {
    out.append(d, n);
    return true;
  });
}

// A Part 10 file in memory, parsed by DCMTK.
std::unique_ptr<DcmFileFormat> parse(const std::string& bytes, const std::string& dir, const std::string& name) {
  const std::string path = dir + "/" + name;
  std::ofstream(path, std::ios::binary) << bytes;
  auto file = std::make_unique<DcmFileFormat>();
  if (file->loadFile(path.c_str()).bad()) return nullptr;
  return file;
}

std::string text(DcmItem& ds, const DcmTagKey& tag) {
  OFString v;
  ds.findAndGetOFStringArray(tag, v);
  return v.c_str();
}

// The pixel values of native Pixel Data as BitsStored defines them (the bits above it are not
// part of the value, PS3.5 8.1.1; signed values sign-extended), color-by-pixel, without padding
// after the last frame.
std::vector<int64_t> pixel_values(DcmDataset& ds) {
  Uint16 allocated = 0, stored = 0, representation = 0, rows = 0, columns = 0, samples = 1, planar = 0;
  Sint32 frames = 1;
  ds.findAndGetUint16(DCM_BitsAllocated, allocated);
  ds.findAndGetUint16(DCM_BitsStored, stored);
  ds.findAndGetUint16(DCM_PixelRepresentation, representation);
  ds.findAndGetUint16(DCM_Rows, rows);
  ds.findAndGetUint16(DCM_Columns, columns);
  ds.findAndGetUint16(DCM_SamplesPerPixel, samples);
  ds.findAndGetUint16(DCM_PlanarConfiguration, planar);
  if (ds.findAndGetSint32(DCM_NumberOfFrames, frames).bad() || frames < 1) frames = 1;
  if (!stored || stored > allocated) stored = allocated;
  std::vector<int64_t> out;
  auto push = [&](uint32_t raw) {
    raw &= stored >= 32 ? 0xFFFFFFFFu : (1u << stored) - 1;
    int64_t v = raw;
    if (representation == 1 && (raw >> (stored - 1)) & 1) v -= int64_t(1) << stored;
    out.push_back(v);
  };
  if (allocated == 8) {
    const Uint8* bytes = nullptr;
    unsigned long n = 0;
    if (ds.findAndGetUint8Array(DCM_PixelData, bytes, &n).good())
      for (unsigned long i = 0; i < n; ++i) push(bytes[i]);
  } else if (allocated == 16) {
    const Uint16* words = nullptr;
    unsigned long n = 0;
    if (ds.findAndGetUint16Array(DCM_PixelData, words, &n).good())
      for (unsigned long i = 0; i < n; ++i) push(words[i]);
  }
  const size_t pixels = size_t(rows) * columns, frame = pixels * samples;
  out.resize(std::min(out.size(), frame * size_t(frames)));
  if (samples == 3 && planar == 1 && out.size() == frame * size_t(frames)) {
    std::vector<int64_t> by_pixel(out.size());
    for (size_t f = 0; f < size_t(frames); ++f)
      for (size_t c = 0; c < 3; ++c)
        for (size_t i = 0; i < pixels; ++i) by_pixel[f * frame + i * 3 + c] = out[f * frame + c * pixels + i];
    out.swap(by_pixel);
  }
  return out;
}

// Files the JPEG 2000 encoder refuses and a word of the reason (j2k-expectations.tsv).
std::map<std::string, std::string> expected_refusals() {
  std::map<std::string, std::string> out;
  for (auto& row : testing::read_tsv(testing::here("j2k-expectations.tsv"))) out[row.at(0)] = row.at(1);
  return out;
}

struct Decoded {
  std::unique_ptr<DcmFileFormat> file;
  DcmDataset& ds() { return *file->getDataset(); }
};

// The file's pixels decoded (Explicit VR Little Endian), or no file when nothing decodes them
// (*why says why).
Decoded decoded(const std::string& path, const std::string& dir, const std::string& name, std::string* why = nullptr) {
  std::string bytes;
  TranscodeResult result = transcode_path(path, kExplicit, bytes);
  if (why) *why = result.message;
  if (!result.ok()) return {};
  Decoded d{parse(bytes, dir, name)};
  if (d.file && !d.ds().tagExists(DCM_PixelData)) d.file.reset();
  return d;
}

// The original's pixels next to those of its .90 (or .91) encoding decoded again.
struct RoundTrip {
  Decoded original, encoded, back;
  TranscodeResult result;
  std::string back_error;  // why the encoding does not decode
};

// name: a pydicom test file, or an absolute path.
RoundTrip round_trip(const std::string& name, std::string_view target, const testing::TempDir& dir) {
  RoundTrip r;
  const std::string path = name.front() == '/' ? name : testing::kTestFiles + "/" + name;
  r.original = decoded(path, dir.path, "original.dcm");
  if (!r.original.file) return r;
  std::string bytes;
  r.result = transcode_path(path, target, bytes);
  if (!r.result.ok()) return r;
  r.encoded.file = parse(bytes, dir.path, "encoded.dcm");
  if (!r.encoded.file) return r;
  r.back = decoded(dir.path + "/encoded.dcm", dir.path, "back.dcm", &r.back_error);
  return r;
}

TEST(dicomJ2kEncoder, LosslessRoundTripOfEveryDecodableTestFile) {
  const auto refusals = expected_refusals();
  int compared = 0;
  for (const std::string& name : testing::all_test_files()) {
    testing::TempDir dir;
    RoundTrip r = round_trip(name, kLossless, dir);
    if (!r.original.file) continue;  // no pixels, or they do not decode
    auto refused = refusals.find(name);
    if (refused != refusals.end()) {
      EXPECT_EQ(r.result.status, TranscodeStatus::CannotEncode) << name;
      EXPECT_NE(r.result.message.find(refused->second), std::string::npos) << name << ": " << r.result.message;
      continue;
    }
    if (!r.result.ok() || !r.encoded.file || !r.back.file) {
      ADD_FAILURE() << name << ": " << r.result.message << " " << r.back_error;
      continue;
    }
    EXPECT_EQ(r.encoded.ds().getOriginalXfer(), EXS_JPEG2000LosslessOnly) << name;
    const std::string photometric = text(r.original.ds(), DCM_PhotometricInterpretation);
    const std::string encoded_pi = text(r.encoded.ds(), DCM_PhotometricInterpretation);
    EXPECT_EQ(encoded_pi, photometric == "RGB" ? "YBR_RCT" : photometric) << name;
    EXPECT_EQ(text(r.back.ds(), DCM_PhotometricInterpretation), photometric) << name;
    EXPECT_EQ(text(r.encoded.ds(), DCM_LossyImageCompressionMethod), text(r.original.ds(), DCM_LossyImageCompressionMethod))
        << name << ": lossless encoding adds no lossy attributes";
    const std::vector<int64_t> want = pixel_values(r.original.ds());
    ASSERT_FALSE(want.empty()) << name;
    EXPECT_TRUE(pixel_values(r.back.ds()) == want) << name << ": pixels differ after the lossless round trip";
    ++compared;
  }
  EXPECT_GE(compared, 40);
}

// Synthesized images the test files lack: signed 8-bit, and 12 of 16 bits with the bits above
// BitsStored set (they are not part of the value and must not disturb it), 3 frames each, odd
// sizes, extreme values included.
TEST(dicomJ2kEncoder, LosslessSynthesizedDepthsAndSigns) {
  struct Case {
    Uint16 allocated, stored, representation, samples;
  };
  for (const Case c : {Case{8, 8, 1, 1}, Case{8, 7, 0, 3}, Case{16, 12, 0, 1}, Case{16, 12, 1, 1}, Case{16, 16, 0, 3},
                       Case{16, 15, 1, 3}}) {
    const std::string label = std::to_string(c.allocated) + "/" + std::to_string(c.stored) + " signed " +
                              std::to_string(c.representation) + " samples " + std::to_string(c.samples);
    testing::TempDir dir;
    const std::string path = dir.path + "/synth.dcm";
    const Uint16 rows = 7, columns = 13;
    const size_t count = size_t(rows) * columns * c.samples * 3;
    uint32_t seed = 12345;
    auto next = [&] { return seed = seed * 1103515245u + 12345u; };
    testing::write_instance(path, [&](DcmDataset& ds) {
      testing::fill_minimal(ds);
      ds.putAndInsertUint16(DCM_Rows, rows);
      ds.putAndInsertUint16(DCM_Columns, columns);
      ds.putAndInsertUint16(DCM_SamplesPerPixel, c.samples);
      ds.putAndInsertString(DCM_PhotometricInterpretation, c.samples == 3 ? "RGB" : "MONOCHROME2");
      if (c.samples == 3) ds.putAndInsertUint16(DCM_PlanarConfiguration, 0);
      ds.putAndInsertUint16(DCM_BitsAllocated, c.allocated);
      ds.putAndInsertUint16(DCM_BitsStored, c.stored);
      ds.putAndInsertUint16(DCM_HighBit, c.stored - 1);
      ds.putAndInsertUint16(DCM_PixelRepresentation, c.representation);
      ds.putAndInsertString(DCM_NumberOfFrames, "3");
      if (c.allocated == 8) {
        std::vector<Uint8> v(count);
        for (size_t i = 0; i < count; ++i) v[i] = i < 2 ? (i ? 0xFF : 0x00) : static_cast<Uint8>(next() >> 16);
        ds.putAndInsertUint8Array(DCM_PixelData, v.data(), v.size());
      } else {
        std::vector<Uint16> v(count);
        for (size_t i = 0; i < count; ++i) v[i] = i < 2 ? (i ? 0xFFFF : 0x0000) : static_cast<Uint16>(next() >> 12);
        ds.putAndInsertUint16Array(DCM_PixelData, v.data(), v.size());
      }
    });
    RoundTrip r = round_trip(path, kLossless, dir);
    ASSERT_TRUE(r.result.ok()) << label << ": " << r.result.message;
    ASSERT_TRUE(r.back.file) << label << ": " << r.back_error;
    const std::vector<int64_t> want = pixel_values(r.original.ds());
    ASSERT_EQ(want.size(), count) << label;
    EXPECT_TRUE(pixel_values(r.back.ds()) == want) << label;
  }
}

TEST(dicomJ2kEncoder, OneFragmentPerFrameWithABasicOffsetTable) {
  testing::TempDir dir;
  RoundTrip r = round_trip("SC_rgb_rle_2frame.dcm", kLossless, dir);
  ASSERT_TRUE(r.result.ok()) << r.result.message;
  DcmElement* e = nullptr;
  ASSERT_TRUE(r.encoded.ds().findAndGetElement(DCM_PixelData, e).good());
  DcmPixelSequence* seq = nullptr;
  ASSERT_TRUE(static_cast<DcmPixelData*>(e)->getEncapsulatedRepresentation(EXS_JPEG2000LosslessOnly, nullptr, seq).good());
  ASSERT_EQ(seq->card(), 3u);  // offset table + two frames
  DcmPixelItem* table = nullptr;
  ASSERT_TRUE(seq->getItem(table, 0).good());
  EXPECT_EQ(table->getLength(), 8u);  // two 32-bit offsets
  Uint8* table_bytes = nullptr;
  ASSERT_TRUE(table->getUint8Array(table_bytes).good());
  Uint32 offsets[2];
  std::memcpy(offsets, table_bytes, 8);  // little endian, as the test hosts are
  DcmPixelItem* first = nullptr;
  ASSERT_TRUE(seq->getItem(first, 1).good());
  EXPECT_EQ(offsets[0], 0u);
  EXPECT_EQ(offsets[1], first->getLength() + (first->getLength() & 1) + 8);  // item header + value
  Uint8* bytes = nullptr;
  ASSERT_TRUE(first->getUint8Array(bytes).good());
  EXPECT_EQ(bytes[0], 0xFF);  // SOC marker: a raw J2K codestream
  EXPECT_EQ(bytes[1], 0x4F);
}

// Peak signal-to-noise ratio of b against a, for values of `bits` bits.
double psnr(const std::vector<int64_t>& a, const std::vector<int64_t>& b, unsigned bits) {
  double sum = 0;
  for (size_t i = 0; i < a.size(); ++i) sum += double(a[i] - b[i]) * double(a[i] - b[i]);
  if (sum == 0) return 1e9;
  const double peak = double((int64_t(1) << bits) - 1);
  return 10 * std::log10(peak * peak / (sum / double(a.size())));
}

TEST(dicomJ2kEncoder, LossyIsCloseAndSaysSo) {
  // file, the smallest PSNR accepted (dB) at the default 10:1
  const std::vector<std::pair<std::string, double>> cases = {
      {"CT_small.dcm", 40}, {"MR_small.dcm", 40}, {"SC_rgb_rle.dcm", 40}, {"SC_rgb_rle_16bit.dcm", 40},
      {"SC_rgb_rle_2frame.dcm", 40}, {"image_dfl.dcm", 30}, {"ExplVR_BigEnd.dcm", 30}};
  for (const auto& [name, bound] : cases) {
    testing::TempDir dir;
    RoundTrip r = round_trip(name, kLossy, dir);
    ASSERT_TRUE(r.result.ok()) << name << ": " << r.result.message;
    ASSERT_TRUE(r.back.file) << name << ": " << r.back_error;
    DcmDataset& encoded = r.encoded.ds();
    EXPECT_EQ(encoded.getOriginalXfer(), EXS_JPEG2000) << name;
    EXPECT_EQ(text(encoded, DCM_LossyImageCompression), "01") << name;
    EXPECT_EQ(text(encoded, DCM_LossyImageCompressionMethod), "ISO_15444_1") << name;
    const double ratio = std::atof(text(encoded, DCM_LossyImageCompressionRatio).c_str());
    EXPECT_GT(ratio, 1.0) << name;
    const std::string photometric = text(r.original.ds(), DCM_PhotometricInterpretation);
    EXPECT_EQ(text(encoded, DCM_PhotometricInterpretation), photometric == "RGB" ? "YBR_ICT" : photometric) << name;
    const std::vector<int64_t> want = pixel_values(r.original.ds()), got = pixel_values(r.back.ds());
    ASSERT_EQ(got.size(), want.size()) << name;
    Uint16 bits = 0;
    r.original.ds().findAndGetUint16(DCM_BitsStored, bits);
    const double measured = psnr(want, got, bits);
    EXPECT_GE(measured, bound) << name;
    EXPECT_LT(measured, 1e9) << name << ": lossy encoding changed nothing";
  }
}

TEST(dicomJ2kEncoder, LossyAttributesAccumulate) {
  // JPEG baseline (ratio 17.401, ISO_10918_1) encoded again in .91: the history is kept
  testing::TempDir dir;
  RoundTrip r = round_trip("SC_rgb_jpeg_dcmtk.dcm", kLossy, dir);
  ASSERT_TRUE(r.result.ok()) << r.result.message;
  DcmDataset& ds = r.encoded.ds();
  EXPECT_EQ(text(ds, DCM_LossyImageCompressionMethod), "ISO_10918_1\\ISO_15444_1");
  const std::string ratios = text(ds, DCM_LossyImageCompressionRatio);
  EXPECT_EQ(ratios.substr(0, 7), "17.401\\") << ratios;
}

}  // namespace
}  // namespace healthd::dicom
