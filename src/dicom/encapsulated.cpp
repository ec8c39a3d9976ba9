#include "dicom/encapsulated.h"

#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmdata/dcpixseq.h>
#include <dcmtk/dcmdata/dcpxitem.h>

#include <vector>

namespace healthd::dicom::detail {

namespace {

bool fail(std::string* error, std::string why) {
  if (error) *error = std::move(why);
  return false;
}

DcmPixelItem* item_at(DcmPixelSequence& seq, uint32_t i) {
  DcmPixelItem* item = nullptr;
  return seq.getItem(item, i).good() ? item : nullptr;
}

// The Basic Offset Table's entries, or empty when it has none (or not one per frame).
std::vector<uint32_t> offset_table(DcmPixelSequence& seq, uint32_t frames) {
  DcmPixelItem* bot = item_at(seq, 0);
  if (!bot || bot->getLength() != 4ull * frames) return {};
  std::vector<uint32_t> out(frames);
  if (bot->getPartialValue(out.data(), 0, 4 * frames, nullptr, EBO_LittleEndian).bad()) return {};
  if (gLocalByteOrder == EBO_BigEndian)
    for (uint32_t& v : out) v = __builtin_bswap32(v);
  return out;
}

// Whether the fragment starts a JPEG / JPEG-LS (SOI) or JPEG 2000 codestream (SOC).
bool starts_stream(DcmPixelItem& item) {
  if (item.getLength() < 2) return false;
  unsigned char b[2];
  if (item.getPartialValue(b, 0, 2, nullptr, EBO_LittleEndian).bad()) return false;
  return b[0] == 0xFF && (b[1] == 0xD8 || b[1] == 0x4F);
}

}  // namespace

bool frame_fragments(DcmPixelSequence& seq, uint32_t frames, uint32_t index, uint32_t* first, uint32_t* end,
                     std::string* error) {
  const uint32_t items = static_cast<uint32_t>(seq.card());
  if (items < 2) return fail(error, "the encapsulated Pixel Data has no fragments");
  if (index >= frames) return fail(error, "no frame " + std::to_string(index + 1));
  if (frames == 1) {
    *first = 1;
    *end = items;
    return true;
  }
  if (items == frames + 1) {
    *first = index + 1;
    *end = index + 2;
    return true;
  }
  // The start of each frame, as an item number.
  std::vector<uint32_t> starts;
  if (std::vector<uint32_t> table = offset_table(seq, frames); !table.empty()) {
    uint64_t offset = 0;  // of the item's tag, from the first fragment
    size_t next = 0;
    for (uint32_t i = 1; i < items && next < table.size(); ++i) {
      if (offset == table[next]) {
        starts.push_back(i);
        ++next;
      }
      DcmPixelItem* item = item_at(seq, i);
      if (!item) break;
      offset += item->getLength() + 8ull;
    }
  }
  if (starts.size() != frames) {
    starts.clear();
    for (uint32_t i = 1; i < items; ++i)
      if (DcmPixelItem* item = item_at(seq, i); item && starts_stream(*item)) starts.push_back(i);
  }
  if (starts.size() != frames || starts[0] != 1)
    return fail(error, "cannot tell which fragments hold frame " + std::to_string(index + 1) + " (" +
                           std::to_string(items - 1) + " fragments for " + std::to_string(frames) +
                           " frames, no usable Basic Offset Table)");
  *first = starts[index];
  *end = index + 1 < frames ? starts[index + 1] : items;
  return true;
}

bool fragment_bytes(DcmPixelSequence& seq, uint32_t first, uint32_t end, std::string& out, std::string* error) {
  out.clear();
  for (uint32_t i = first; i < end; ++i) {
    DcmPixelItem* item = item_at(seq, i);
    if (!item) return fail(error, "no fragment " + std::to_string(i));
    const size_t at = out.size();
    out.resize(at + item->getLength());
    if (item->getLength() &&
        item->getPartialValue(out.data() + at, 0, item->getLength(), nullptr, EBO_LittleEndian).bad())
      return fail(error, "cannot read fragment " + std::to_string(i));
  }
  return true;
}

}  // namespace healthd::dicom::detail
