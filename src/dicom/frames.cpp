#include "dicom/frames.h"

#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmdata/dcdatset.h>
#include <dcmtk/dcmdata/dcelem.h>
#include <dcmtk/dcmdata/dcfcache.h>

#include <algorithm>
#include <charconv>
#include <vector>

#include "dicom/element_values.h"
#include "dicom/instance.h"
#include "dicom/instance_impl.h"

namespace healthd::dicom {

namespace {

bool fail(std::string* error, std::string why) {
  if (error) *error = std::move(why);
  return false;
}

// The first value of a numeric attribute, or -1.
int64_t number(DcmDataset& ds, Tag tag) {
  DcmElement* e = detail::find_element(ds, tag);
  if (!e) return -1;
  auto values = detail::values_as_text(*e, detail::TextDecoder());
  if (!values || values->empty()) return -1;
  int64_t v = -1;
  const std::string& s = values->front();
  auto r = std::from_chars(s.data(), s.data() + s.size(), v);
  return r.ec == std::errc() ? v : -1;
}

}  // namespace

bool frame_layout(const Instance& instance, FrameLayout* layout, std::string* error) {
  DcmDataset& ds = instance.impl().dataset();
  DcmElement* pixels = detail::find_element(ds, tags::kPixelData);
  if (!pixels) return fail(error, "the instance has no Pixel Data (7FE0,0010)");
  const int64_t frames = number(ds, tags::kNumberOfFrames);
  layout->count = frames > 0 ? static_cast<uint32_t>(frames) : 1;
  layout->encapsulated = instance.impl().encapsulated;
  if (layout->encapsulated) return true;
  const int64_t rows = number(ds, tags::kRows), columns = number(ds, tags::kColumns);
  const int64_t bits = number(ds, tags::kBitsAllocated);
  int64_t samples = number(ds, 0x00280002);
  if (samples <= 0) samples = 1;
  if (rows <= 0 || columns <= 0 || bits <= 0) return fail(error, "Rows, Columns or BitsAllocated is missing");
  if (bits % 8 != 0) return fail(error, "frames of bit-packed Pixel Data (BitsAllocated " + std::to_string(bits) + ") are not supported yet");
  layout->frame_bytes = static_cast<uint64_t>(rows) * columns * samples * (bits / 8);
  if (layout->frame_bytes * layout->count > pixels->getLength())
    return fail(error, "Pixel Data is shorter than NumberOfFrames x Rows x Columns x SamplesPerPixel x BitsAllocated");
  return true;
}

bool read_native_frame(const Instance& instance, const FrameLayout& layout, uint32_t index, const BulkSink& sink,
                       std::string* error) {
  if (layout.encapsulated) return fail(error, "encapsulated Pixel Data");
  if (index >= layout.count) return fail(error, "no frame " + std::to_string(index + 1));
  DcmElement* pixels = detail::find_element(instance.impl().dataset(), tags::kPixelData);
  if (!pixels) return fail(error, "the instance has no Pixel Data");
  constexpr uint64_t kChunk = 1 << 20;
  DcmFileCache cache;
  std::vector<char> buf(static_cast<size_t>(std::min(kChunk, layout.frame_bytes)));
  const uint64_t start = layout.frame_bytes * index;
  for (uint64_t done = 0; done < layout.frame_bytes;) {
    const uint64_t n = std::min(kChunk, layout.frame_bytes - done);
    if (pixels->getPartialValue(buf.data(), static_cast<Uint32>(start + done), static_cast<Uint32>(n), &cache,
                                EBO_LittleEndian)
            .bad())
      return fail(error, "cannot read frame " + std::to_string(index + 1));
    if (!sink(buf.data(), n)) return fail(error, "stopped");
    done += n;
  }
  return true;
}

}  // namespace healthd::dicom
