// Frames: fragments of encapsulated Pixel Data per frame, bit-packed native frames, decoding
// (JPEG 2000 through the OpenJPEG adapter), transcoding one frame, and the transfer syntax table.
#include "dicom/frames.h"

#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmdata/dcdatset.h>
#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcpixseq.h>
#include <dcmtk/dcmdata/dcpxitem.h>
#include <gtest/gtest.h>

#include <fstream>

#include "dicom/encapsulated.h"
#include "dicom/frame_transcode.h"
#include "dicom/instance.h"
#include "dicom/transcode.h"
#include "dicom/transfer_syntax.h"
#include "test_support.h"

namespace healthd::dicom {
namespace {

// A pixel sequence: the Basic Offset Table, then the fragments.
std::unique_ptr<DcmPixelSequence> sequence(const std::vector<Uint32>& table, const std::vector<std::string>& fragments) {
  auto seq = std::make_unique<DcmPixelSequence>(DCM_PixelSequenceTag);
  auto add = [&](const Uint8* data, Uint32 n) {
    auto* item = new DcmPixelItem(DCM_PixelItemTag);
    item->putUint8Array(data, n);
    seq->insert(item);
  };
  add(reinterpret_cast<const Uint8*>(table.data()), static_cast<Uint32>(table.size() * 4));
  for (const std::string& f : fragments) add(reinterpret_cast<const Uint8*>(f.data()), static_cast<Uint32>(f.size()));
  return seq;
}

std::pair<uint32_t, uint32_t> fragments_of(DcmPixelSequence& seq, uint32_t frames, uint32_t index) {
  uint32_t first = 0, end = 0;
  std::string error;
  EXPECT_TRUE(detail::frame_fragments(seq, frames, index, &first, &end, &error)) << error;
  return {first, end};
}

const std::string kJpegStart = "\xFF\xD8", kJ2kStart = "\xFF\x4F";

TEST(dicomFrames, OneFrameTakesEveryFragment) {
  auto seq = sequence({}, {kJpegStart + "ab", "cd", "ef"});
  EXPECT_EQ(fragments_of(*seq, 1, 0), std::make_pair(1u, 4u));
  std::string bytes, error;
  ASSERT_TRUE(detail::fragment_bytes(*seq, 1, 4, bytes, &error)) << error;
  EXPECT_EQ(bytes, kJpegStart + "abcdef");
}

TEST(dicomFrames, OneFragmentPerFrame) {
  auto seq = sequence({}, {"aa", "bb", "cc"});
  EXPECT_EQ(fragments_of(*seq, 3, 1), std::make_pair(2u, 3u));
}

TEST(dicomFrames, BasicOffsetTableSplitsFragments) {
  // frame 1: fragments 1-2 (2 + 8, 4 + 8 bytes with item headers), frame 2: fragment 3
  auto seq = sequence({0, 22}, {"xx", "yyyy", "zz"});
  EXPECT_EQ(fragments_of(*seq, 2, 0), std::make_pair(1u, 3u));
  EXPECT_EQ(fragments_of(*seq, 2, 1), std::make_pair(3u, 4u));
}

TEST(dicomFrames, WithoutATableStreamStartsSplitFragments) {
  auto seq = sequence({}, {kJ2kStart + "aa", "bb", kJ2kStart + "cc", "dd"});
  EXPECT_EQ(fragments_of(*seq, 2, 0), std::make_pair(1u, 3u));
  EXPECT_EQ(fragments_of(*seq, 2, 1), std::make_pair(3u, 5u));
}

TEST(dicomFrames, AmbiguousFragmentsAreRefused) {
  auto seq = sequence({}, {"aa", "bb", "cc"});
  uint32_t first = 0, end = 0;
  std::string error;
  EXPECT_FALSE(detail::frame_fragments(*seq, 2, 0, &first, &end, &error));
  EXPECT_NE(error.find("cannot tell which fragments"), std::string::npos) << error;
  EXPECT_FALSE(detail::frame_fragments(*seq, 2, 2, &first, &end, &error));
}

TEST(dicomFrames, BitPackedFramesAreShiftedToAByte) {
  testing::TempDir dir;
  const std::string path = dir.path + "/bits.dcm";
  // 3 frames of 3 x 3 one-bit pixels: 9 bits each, 27 bits in all.
  const uint32_t all = 0b101'110'011'000'111'001'100'010'111u;
  testing::write_instance(path, [&](DcmDataset& ds) {
    testing::fill_minimal(ds);
    ds.putAndInsertUint16(DCM_SamplesPerPixel, 1);
    ds.putAndInsertString(DCM_PhotometricInterpretation, "MONOCHROME2");
    ds.putAndInsertUint16(DCM_Rows, 3);
    ds.putAndInsertUint16(DCM_Columns, 3);
    ds.putAndInsertString(DCM_NumberOfFrames, "3");
    ds.putAndInsertUint16(DCM_BitsAllocated, 1);
    ds.putAndInsertUint16(DCM_BitsStored, 1);
    ds.putAndInsertUint16(DCM_HighBit, 0);
    ds.putAndInsertUint16(DCM_PixelRepresentation, 0);
    const Uint8 bytes[4] = {Uint8(all), Uint8(all >> 8), Uint8(all >> 16), Uint8(all >> 24)};
    ds.putAndInsertUint8Array(DCM_PixelData, bytes, 4);
  });
  std::string error;
  auto instance = Instance::open(path, &error);
  ASSERT_TRUE(instance) << error;
  FrameLayout layout;
  ASSERT_TRUE(frame_layout(*instance, &layout, &error)) << error;
  EXPECT_EQ(layout.count, 3u);
  EXPECT_EQ(layout.frame_bits, 9u);
  EXPECT_EQ(layout.frame_bytes, 2u);
  for (uint32_t f = 0; f < 3; ++f) {
    std::string got;
    ASSERT_TRUE(read_native_frame(*instance, layout, f, [&](const char* d, size_t n) {
      got.append(d, n);
      return true;
    }, &error)) << error;
    const uint32_t want = (all >> (9 * f)) & 0x1FF;
    ASSERT_EQ(got.size(), 2u);
    EXPECT_EQ(static_cast<uint8_t>(got[0]) | (static_cast<uint8_t>(got[1]) << 8), want) << "frame " << f + 1;
  }
}

TEST(dicomFrames, Jpeg2000FramesDecodeThroughOpenJpeg) {
  std::string error;
  auto instance = Instance::open(testing::kTestFiles + "/693_J2KI.dcm", &error);
  ASSERT_TRUE(instance) << error;
  FrameLayout layout;
  ASSERT_TRUE(frame_layout(*instance, &layout, &error)) << error;
  ASSERT_TRUE(layout.encapsulated);
  std::string stored, decoded;
  ASSERT_TRUE(read_encapsulated_frame(*instance, layout, 0, stored, &error)) << error;
  EXPECT_EQ(stored.substr(0, 2), kJ2kStart);
  ASSERT_TRUE(decode_frame(*instance, layout, 0, decoded, &error)) << error;
  EXPECT_EQ(decoded.size(), 512u * 512u * 2u);
  EXPECT_NE(decoded.find_first_not_of('\0'), std::string::npos);
}

// Frame `index` of the instance at path as native pixels (read or decoded) with their color model.
std::string native_frame(const Instance& instance, uint32_t index, std::string* photometric) {
  std::string error, out;
  FrameLayout layout;
  EXPECT_TRUE(frame_layout(instance, &layout, &error)) << error;
  if (layout.encapsulated) {
    EXPECT_TRUE(decode_frame(instance, layout, index, out, &error, photometric)) << error;
  } else {
    EXPECT_TRUE(read_native_frame(instance, layout, index, [&](const char* d, size_t n) {
      out.append(d, n);
      return true;
    }, &error)) << error;
  }
  return out;
}

TEST(dicomFrameTranscode, AFrameIsEncodedAsItsInstanceWouldBe) {
  // The frame re-encoded on its own equals that frame of the whole instance transcoded: the same
  // encoders, the same attributes.
  for (const char* name : {"SC_rgb_rle_2frame.dcm", "MR_small_RLE.dcm"}) {
    for (const char* target : {"1.2.840.10008.1.2.4.90", "1.2.840.10008.1.2.4.70", "1.2.840.10008.1.2.5"}) {
      std::string error;
      auto instance = Instance::open(testing::kTestFiles + "/" + name, &error);
      ASSERT_TRUE(instance) << error;
      std::string photometric, encoded;
      const std::string native = native_frame(*instance, 0, &photometric);
      ASSERT_TRUE(transcode_frame(*instance, native, photometric, target, encoded, &error)) << name << " " << error;

      testing::TempDir dir;
      const std::string path = dir.path + "/whole.dcm";
      std::ofstream file(path, std::ios::binary);
      ASSERT_TRUE(transcode_file(testing::kTestFiles + "/" + name, target, [&](const char* d, size_t n) {
                    file.write(d, static_cast<std::streamsize>(n));
                    return true;
                  }).ok());
      file.close();
      auto whole = Instance::open(path, &error);
      ASSERT_TRUE(whole) << error;
      FrameLayout layout;
      ASSERT_TRUE(frame_layout(*whole, &layout, &error)) << error;
      std::string first;
      ASSERT_TRUE(read_encapsulated_frame(*whole, layout, 0, first, &error)) << error;
      // RLE and JPEG pad a fragment to even length; the stream is the same
      EXPECT_EQ(encoded.substr(0, first.size()), first.substr(0, encoded.size())) << name << " " << target;
      EXPECT_LE(first.size() - encoded.size(), 1u) << name << " " << target;
    }
  }
}

TEST(dicomFrameTranscode, RefusalsSayWhy) {
  std::string error, out, photometric;
  auto dose = Instance::open(testing::kTestFiles + "/rtdose.dcm", &error);
  ASSERT_TRUE(dose) << error;
  const std::string native = native_frame(*dose, 0, &photometric);
  EXPECT_FALSE(transcode_frame(*dose, native, photometric, "1.2.840.10008.1.2.4.90", out, &error));
  EXPECT_NE(error.find("BitsAllocated 32"), std::string::npos) << error;
  EXPECT_FALSE(transcode_frame(*dose, native, photometric, "1.2.840.10008.1.2.1", out, &error));
  EXPECT_NE(error.find("not a compressed"), std::string::npos) << error;
  auto ybr = Instance::open(testing::kTestFiles + "/SC_ybr_full_422_uncompressed.dcm", &error);
  ASSERT_TRUE(ybr) << error;
  EXPECT_FALSE(transcode_frame(*ybr, native_frame(*ybr, 0, &photometric), "", "1.2.840.10008.1.2.4.50", out, &error));
  EXPECT_NE(error.find("YBR_FULL_422"), std::string::npos) << error;
}

TEST(dicomTransferSyntax, TableAndDefaults) {
  ASSERT_NE(find_transfer_syntax("1.2.840.10008.1.2.4.80"), nullptr);
  EXPECT_TRUE(find_transfer_syntax("1.2.840.10008.1.2.4.80")->encodable);
  EXPECT_TRUE(find_transfer_syntax("1.2.840.10008.1.2.4.90")->decodable);
  EXPECT_TRUE(find_transfer_syntax("1.2.840.10008.1.2.4.90")->encodable);
  EXPECT_FALSE(find_transfer_syntax("1.2.840.10008.1.2.4.100")->encodable);
  EXPECT_EQ(find_transfer_syntax("1.2.3"), nullptr);
  EXPECT_EQ(describe_transfer_syntax("1.2.840.10008.1.2.5"), "RLE Lossless (1.2.840.10008.1.2.5)");
  EXPECT_EQ(requested_or_default(""), kExplicitVrLittleEndian);
  EXPECT_EQ(requested_or_default("*"), "*");
}

}  // namespace
}  // namespace healthd::dicom
