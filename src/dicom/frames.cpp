#include "dicom/frames.h"

#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmdata/dccodec.h>
#include <dcmtk/dcmdata/dcdatset.h>
#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcelem.h>
#include <dcmtk/dcmdata/dcfcache.h>
#include <dcmtk/dcmdata/dcpixel.h>
#include <dcmtk/dcmdata/dcpixseq.h>
#include <dcmtk/dcmdata/dcswap.h>
#include <dcmtk/dcmdata/dcxfer.h>

#include <algorithm>
#include <charconv>
#include <exception>
#include <vector>

#include "dicom/codecs.h"
#include "dicom/element_values.h"
#include "dicom/encapsulated.h"
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

// A frame of bit-packed Pixel Data (BitsAllocated 1): frames follow each other bit by bit (the
// first pixel in the least significant bit), so frame n starts at bit n x frame_bits, usually
// inside a byte. The frame is shifted to start at bit 0; bits after its end are zero.
bool read_packed_frame(DcmElement& pixels, const FrameLayout& layout, uint32_t index, DcmFileCache& cache,
                       const BulkSink& sink, std::string* error) {
  const uint64_t first_bit = layout.frame_bits * index;
  const uint64_t first_byte = first_bit / 8;
  const unsigned shift = first_bit % 8;
  const uint64_t span = std::min<uint64_t>((shift + layout.frame_bits + 7) / 8, pixels.getLength() - first_byte);
  std::vector<unsigned char> in(span + 1, 0);
  if (pixels.getPartialValue(in.data(), static_cast<Uint32>(first_byte), static_cast<Uint32>(span), &cache,
                             EBO_LittleEndian)
          .bad())
    return fail(error, "cannot read frame " + std::to_string(index + 1));
  std::string out(layout.frame_bytes, '\0');
  for (uint64_t i = 0; i < layout.frame_bytes; ++i)
    out[i] = static_cast<char>(shift ? (in[i] >> shift) | (in[i + 1] << (8 - shift)) : in[i]);
  if (const unsigned tail = layout.frame_bits % 8) out.back() = static_cast<char>(out.back() & ((1u << tail) - 1));
  if (!sink(out.data(), out.size())) return fail(error, "stopped");
  return true;
}

// The Pixel Data element of the instance with its encapsulated representation as stored.
bool encapsulated_pixels(const Instance& instance, DcmPixelData** pixel_data, DcmPixelSequence** sequence,
                         std::string* error) {
  DcmDataset& ds = instance.impl().dataset();
  DcmElement* e = detail::find_element(ds, tags::kPixelData);
  if (!e || e->ident() != EVR_PixelData) return fail(error, "the instance has no Pixel Data");
  *pixel_data = static_cast<DcmPixelData*>(e);
  if ((*pixel_data)->getEncapsulatedRepresentation(ds.getOriginalXfer(), nullptr, *sequence).bad() || !*sequence)
    return fail(error, "the Pixel Data is not encapsulated");
  return true;
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
  if (bits != 1 && bits % 8 != 0) return fail(error, "BitsAllocated " + std::to_string(bits) + " is not 1 or a multiple of 8");
  layout->frame_bits = static_cast<uint64_t>(rows) * columns * samples * bits;
  // YBR_FULL_422 / YBR_PARTIAL_422: two pixels share one Cb and one Cr (Y Y Cb Cr).
  OFString photometric;
  if (samples == 3 && ds.findAndGetOFString(DCM_PhotometricInterpretation, photometric).good() &&
      (photometric == "YBR_FULL_422" || photometric == "YBR_PARTIAL_422"))
    layout->frame_bits = layout->frame_bits * 2 / 3;
  layout->frame_bytes = (layout->frame_bits + 7) / 8;
  if ((layout->frame_bits * layout->count + 7) / 8 > pixels->getLength())
    return fail(error, "Pixel Data is shorter than NumberOfFrames x Rows x Columns x SamplesPerPixel x BitsAllocated");
  return true;
}

bool read_native_frame(const Instance& instance, const FrameLayout& layout, uint32_t index, const BulkSink& sink,
                       std::string* error) {
  if (layout.encapsulated) return fail(error, "encapsulated Pixel Data");
  if (index >= layout.count) return fail(error, "no frame " + std::to_string(index + 1));
  DcmElement* pixels = detail::find_element(instance.impl().dataset(), tags::kPixelData);
  if (!pixels) return fail(error, "the instance has no Pixel Data");
  DcmFileCache cache;
  if (layout.frame_bits % 8 != 0) return read_packed_frame(*pixels, layout, index, cache, sink, error);
  constexpr uint64_t kChunk = 1 << 20;
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

namespace healthd::dicom {

bool read_encapsulated_frame(const Instance& instance, const FrameLayout& layout, uint32_t index, std::string& out,
                             std::string* error) {
  DcmPixelData* pixel_data = nullptr;
  DcmPixelSequence* sequence = nullptr;
  if (!encapsulated_pixels(instance, &pixel_data, &sequence, error)) return false;
  uint32_t first = 0, end = 0;
  return detail::frame_fragments(*sequence, layout.count, index, &first, &end, error) &&
         detail::fragment_bytes(*sequence, first, end, out, error);
}

bool decode_frame(const Instance& instance, const FrameLayout& layout, uint32_t index, std::string& out,
                  std::string* error, std::string* photometric) {
  detail::register_codecs();
  DcmDataset& ds = instance.impl().dataset();
  const E_TransferSyntax stored = ds.getOriginalXfer();
  if (!DcmCodecList::canChangeCoding(stored, EXS_LittleEndianExplicit))
    return fail(error, "no decoder for " + std::string(DcmXfer(stored).getXferName()));
  DcmPixelData* pixel_data = nullptr;
  DcmPixelSequence* sequence = nullptr;
  if (!encapsulated_pixels(instance, &pixel_data, &sequence, error)) return false;
  uint32_t first = 0, end = 0;
  if (!detail::frame_fragments(*sequence, layout.count, index, &first, &end, error)) return false;
  Uint32 size = 0;
  if (pixel_data->getUncompressedFrameSize(&ds, size).bad() || size == 0)
    return fail(error, "Rows, Columns, SamplesPerPixel or BitsAllocated is missing");
  out.assign(size + (size & 1), '\0');  // DCMTK wants an even buffer
  Uint32 start = first;
  OFString color_model;
  DcmFileCache cache;
  OFCondition c;
  try {
    c = pixel_data->getUncompressedFrame(&ds, index, start, out.data(), static_cast<Uint32>(out.size()), color_model,
                                         &cache);
  } catch (const std::exception& e) {
    return fail(error, std::string("frame ") + std::to_string(index + 1) + " does not decode: " + e.what());
  }
  if (c.bad()) return fail(error, "frame " + std::to_string(index + 1) + " does not decode: " + c.text());
  out.resize(size);
  if (photometric) *photometric = color_model.c_str();
  Uint16 bits = 0;
  ds.findAndGetUint16(DCM_BitsAllocated, bits);
  if (bits > 8 && gLocalByteOrder == EBO_BigEndian)  // DCMTK decodes in the host's byte order
    swapIfNecessary(EBO_LittleEndian, gLocalByteOrder, out.data(), static_cast<Uint32>(out.size()), bits / 8);
  return true;
}

}  // namespace healthd::dicom
