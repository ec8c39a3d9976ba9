// Large values stay in the file: opening, the STOW check, the JSON model and the index never
// load them, and read_bulk streams them in bounded chunks.
#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmdata/dcdatset.h>
#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcelem.h>
#include <gtest/gtest.h>

#include "dicom/bulk.h"
#include "dicom/index.h"
#include "dicom/instance.h"
#include "dicom/instance_impl.h"
#include "dicom/json_model.h"
#include "dicom/stow.h"
#include "test_support.h"

namespace healthd::dicom {
namespace {

constexpr Uint32 kWords = 16u << 20;  // 32 MiB of OW pixel data

TEST(dicomLargeValues, StayInTheFileAndStreamInChunks) {
  testing::TempDir dir;
  std::string path = dir.path + "/large.dcm";
  testing::write_instance(path, [](DcmDataset& ds) {
    testing::fill_minimal(ds);
    ds.putAndInsertUint16(DCM_Rows, 4096);
    ds.putAndInsertUint16(DCM_Columns, 4096);
    ds.putAndInsertUint16(DCM_BitsAllocated, 16);
    Uint16* words = nullptr;
    ASSERT_TRUE(ds.putAndInsertUint16Array(DCM_PixelData, nullptr, 0).good());
    DcmElement* e = nullptr;
    ASSERT_TRUE(ds.findAndGetElement(DCM_PixelData, e).good());
    ASSERT_TRUE(e->createUint16Array(kWords, words).good());
    for (Uint32 i = 0; i < kWords; ++i) words[i] = static_cast<Uint16>(i * 7);
  });

  std::string error;
  auto instance = Instance::open(path, &error);
  ASSERT_TRUE(instance) << error;
  auto pixel_loaded = [&] {
    DcmElement* e = nullptr;
    EXPECT_TRUE(instance->impl().dataset().findAndGetElement(DCM_PixelData, e).good());
    return e && e->valueLoaded();
  };
  EXPECT_FALSE(pixel_loaded());
  EXPECT_TRUE(check_stow(*instance, {}).accepted());
  extract_index(*instance);
  json::Document doc;
  ASSERT_TRUE(to_dicom_json(*instance, {"B", 1024, 0}, doc, doc.GetAllocator(), &error)) << error;
  EXPECT_EQ(json::to_string(doc["7FE00010"]), R"({"vr":"OW","BulkDataURI":"B/7FE00010"})");
  EXPECT_FALSE(pixel_loaded());

  uint64_t size = 0;
  ASSERT_TRUE(bulk_size(*instance, "7FE00010", &size, &error));
  EXPECT_EQ(size, uint64_t{kWords} * 2);
  uint64_t total = 0;
  size_t largest = 0;
  bool content_ok = true;
  ASSERT_TRUE(read_bulk(*instance, "7FE00010", [&](const char* d, size_t n) {
    largest = std::max(largest, n);
    for (size_t k = 0; k + 1 < n && content_ok; k += 2) {
      uint64_t word = (total + k) / 2;
      uint16_t v = static_cast<uint8_t>(d[k]) | static_cast<uint8_t>(d[k + 1]) << 8;
      content_ok = v == static_cast<uint16_t>(word * 7);
    }
    total += n;
    return true;
  }, &error)) << error;
  EXPECT_EQ(total, size);
  EXPECT_TRUE(content_ok);
  EXPECT_LE(largest, size_t{1} << 20);
  EXPECT_FALSE(pixel_loaded());
}

}  // namespace
}  // namespace healthd::dicom
