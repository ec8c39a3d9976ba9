// JPEG 2000 encoding for DCMTK (3.6.7 has no JPEG 2000 codec): a DcmCodec that writes native
// pixels as one raw J2K codestream per frame with OpenJPEG, one fragment per frame and a Basic
// Offset Table (PS3.5 A.4), as DCMTK's own encoders do.
//   .90 (lossless only): reversible 5/3 wavelet; RGB through the reversible color transform
//       (Photometric Interpretation YBR_RCT).
//   .91: irreversible 9/7 wavelet at kJ2kLossyRatio; RGB through the irreversible color transform
//       (YBR_ICT); the Lossy Image Compression attributes record it (PS3.3 C.7.6.1.1.5).
// Monochrome and PALETTE COLOR stay as they are; YBR_FULL is encoded without a color transform.
#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmdata/dccodec.h>
#include <dcmtk/dcmdata/dcdatset.h>
#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcpixseq.h>
#include <dcmtk/dcmdata/dcpxitem.h>
#include <dcmtk/dcmdata/dcxfer.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <vector>

#include "dicom/codecs.h"
#include "dicom/j2k_support.h"

namespace healthd::dicom::detail {

namespace {

// OpenJPEG writes the codestream into memory through these.
struct Output {
  std::vector<unsigned char> bytes;
  size_t pos = 0;
};

OPJ_SIZE_T out_write(void* buffer, OPJ_SIZE_T n, void* user) {
  auto* o = static_cast<Output*>(user);
  if (o->pos + n > o->bytes.size()) o->bytes.resize(o->pos + n);
  std::memcpy(o->bytes.data() + o->pos, buffer, n);
  o->pos += n;
  return n;
}
OPJ_OFF_T out_skip(OPJ_OFF_T n, void* user) {
  auto* o = static_cast<Output*>(user);
  if (n < 0 && size_t(-n) > o->pos) return -1;
  o->pos = size_t(OPJ_OFF_T(o->pos) + n);
  if (o->pos > o->bytes.size()) o->bytes.resize(o->pos);
  return n;
}
OPJ_BOOL out_seek(OPJ_OFF_T at, void* user) {
  auto* o = static_cast<Output*>(user);
  if (at < 0) return OPJ_FALSE;
  o->pos = size_t(at);
  if (o->pos > o->bytes.size()) o->bytes.resize(o->pos);
  return OPJ_TRUE;
}

// Sample `index` (in stored order) of a frame as the value DICOM means: the low BitsStored bits,
// sign-extended when the pixels are signed. 8-bit pixels are bytes; 16-bit ones host-order words
// (how DCMTK holds native Pixel Data in memory).
struct SampleReader {
  const Uint8* bytes;
  const J2kGeometry& g;
  OPJ_INT32 operator()(size_t index) const {
    uint32_t raw;
    if (g.bits_allocated == 8) {
      // DCMTK keeps 8-bit pixels in 16-bit words on big-endian hosts
      raw = bytes[gLocalByteOrder == EBO_BigEndian ? index ^ 1 : index];
    } else {
      Uint16 word;
      std::memcpy(&word, bytes + index * 2, 2);
      raw = word;
    }
    const unsigned bits = g.bits_stored;
    raw &= (bits >= 32 ? 0xFFFFFFFFu : (1u << bits) - 1);
    if (g.signed_pixels && (raw >> (bits - 1)) & 1) return OPJ_INT32(int64_t(raw) - (int64_t(1) << bits));
    return OPJ_INT32(raw);
  }
};

// How a frame is encoded.
struct Settings {
  bool lossless = true;
  bool color_transform = false;  // RCT (lossless) or ICT (lossy) on RGB
};

// Wavelet levels: OpenJPEG's default (5 decompositions), fewer for images too small for them.
int resolutions_for(const J2kGeometry& g) {
  int n = 6;
  const unsigned smallest = std::min(g.rows, g.columns);
  while (n > 1 && smallest < (1u << (n - 1))) --n;
  return n;
}

OFCondition encode_frame(const Uint8* frame, const J2kGeometry& g, const Settings& s, Output& out) {
  opj_image_cmptparm_t components[3];
  std::memset(components, 0, sizeof components);
  for (Uint16 c = 0; c < g.samples; ++c) {
    components[c].dx = components[c].dy = 1;
    components[c].w = g.columns;
    components[c].h = g.rows;
    components[c].prec = g.bits_stored;
    components[c].sgnd = g.signed_pixels ? 1 : 0;
  }
  J2kImage image(opj_image_create(g.samples, components, g.samples == 3 ? OPJ_CLRSPC_SRGB : OPJ_CLRSPC_GRAY));
  if (!image) return j2k_error("cannot allocate the image");
  image->x0 = image->y0 = 0;
  image->x1 = g.columns;
  image->y1 = g.rows;
  const SampleReader sample{frame, g};
  const size_t pixels = size_t(g.rows) * g.columns;
  for (Uint16 c = 0; c < g.samples; ++c) {
    OPJ_INT32* data = image->comps[c].data;
    for (size_t i = 0; i < pixels; ++i) data[i] = sample(g.planar ? c * pixels + i : i * g.samples + c);
  }

  opj_cparameters_t params;
  opj_set_default_encoder_parameters(&params);
  params.tcp_numlayers = 1;
  params.cp_disto_alloc = 1;
  params.tcp_rates[0] = s.lossless ? 0 : kJ2kLossyRatio;  // 0: every bit, lossless
  params.irreversible = s.lossless ? 0 : 1;
  params.tcp_mct = s.color_transform ? 1 : 0;
  params.numresolution = resolutions_for(g);

  J2kCodec codec(opj_create_compress(OPJ_CODEC_J2K));
  std::string message;
  capture_j2k_errors(codec.get(), message);
  if (!opj_setup_encoder(codec.get(), &params, image.get()))
    return j2k_error(message.empty() ? "cannot set up the encoder" : message);

  out.bytes.clear();
  out.bytes.reserve(s.lossless ? g.frame_size() / 2 : g.frame_size() / kJ2kLossyRatio + 1024);
  out.pos = 0;
  J2kStream stream(opj_stream_create(1 << 20, OPJ_FALSE));
  opj_stream_set_user_data(stream.get(), &out, nullptr);
  opj_stream_set_write_function(stream.get(), out_write);
  opj_stream_set_skip_function(stream.get(), out_skip);
  opj_stream_set_seek_function(stream.get(), out_seek);
  if (!opj_start_compress(codec.get(), image.get(), stream.get()) || !opj_encode(codec.get(), stream.get()) ||
      !opj_end_compress(codec.get(), stream.get()))
    return j2k_error(message.empty() ? "the frame does not encode" : message);
  return EC_Normal;
}

// Appends a value to a multi-valued string attribute (the lossy attributes keep every step).
OFCondition append_value(DcmItem& ds, const DcmTagKey& tag, const std::string& value) {
  OFString existing;
  std::string all = value;
  if (ds.findAndGetOFStringArray(tag, existing).good() && !existing.empty()) all = std::string(existing.c_str()) + "\\" + value;
  return ds.putAndInsertString(tag, all.c_str());
}

// The dataset now describes what was encoded.
OFCondition update_image_module(DcmItem& ds, const J2kGeometry& g, const Settings& s, double ratio) {
  OFCondition c = EC_Normal;
  if (g.samples == 3) {
    if (s.color_transform) c = ds.putAndInsertString(DCM_PhotometricInterpretation, s.lossless ? "YBR_RCT" : "YBR_ICT");
    if (c.good()) c = ds.putAndInsertUint16(DCM_PlanarConfiguration, 0);
  }
  if (c.good() && !s.lossless) {
    char text[32];
    std::snprintf(text, sizeof text, "%.2f", ratio);
    c = ds.putAndInsertString(DCM_LossyImageCompression, "01");
    if (c.good()) c = append_value(ds, DCM_LossyImageCompressionRatio, text);
    if (c.good()) c = append_value(ds, DCM_LossyImageCompressionMethod, "ISO_15444_1");
  }
  return c;
}

class J2kEncoder : public DcmCodec {
 public:
  explicit J2kEncoder(E_TransferSyntax syntax) : syntax_(syntax) {}

  OFCondition encode(const Uint16* pixelData, const Uint32 length, const DcmRepresentationParameter*,
                     DcmPixelSequence*& pixSeq, const DcmCodecParameter*, DcmStack& objStack,
                     OFBool& removeOldRep) const override {
    DcmStack local(objStack);
    local.pop();  // the Pixel Data element
    DcmObject* parent = local.pop();
    if (!pixelData || !parent || (parent->ident() != EVR_dataset && parent->ident() != EVR_item)) return EC_InvalidTag;
    auto& ds = *static_cast<DcmItem*>(parent);
    J2kGeometry g;
    if (OFCondition c = read_j2k_geometry(ds, g); c.bad()) return c;
    if (g.bits_allocated != 8 && g.bits_allocated != 16)
      return j2k_error("BitsAllocated " + std::to_string(g.bits_allocated) + " is not encoded (8 or 16 are)");
    Settings s;
    s.lossless = syntax_ == EXS_JPEG2000LosslessOnly;
    if (g.samples == 3) {
      OFString photometric;
      ds.findAndGetOFString(DCM_PhotometricInterpretation, photometric);
      if (photometric == "RGB")
        s.color_transform = true;
      else if (photometric != "YBR_FULL")
        return j2k_error("Photometric Interpretation " + std::string(photometric.c_str()) +
                         " is not encoded (RGB and YBR_FULL are)");
    }
    if (size_t(length) < size_t(g.frame_size()) * g.frames) return j2k_error("Pixel Data is shorter than its frames");

    auto sequence = std::make_unique<DcmPixelSequence>(DCM_PixelSequenceTag);
    auto* offset_table = new DcmPixelItem(DcmTag(DCM_Item, EVR_OB));
    sequence->insert(offset_table);
    DcmOffsetList offsets;
    Output out;
    size_t compressed = 0;
    const auto* bytes = reinterpret_cast<const Uint8*>(pixelData);
    for (Uint32 f = 0; f < g.frames; ++f) {
      if (OFCondition c = encode_frame(bytes + size_t(f) * g.frame_size(), g, s, out); c.bad()) return c;
      if (OFCondition c = sequence->storeCompressedFrame(offsets, out.bytes.data(), Uint32(out.bytes.size()), 0); c.bad())
        return c;
      compressed += out.bytes.size();
    }
    if (OFCondition c = offset_table->createOffsetTable(offsets); c.bad()) return c;
    const double ratio = compressed ? double(g.frame_size()) * g.frames / double(compressed) : 1.0;
    if (OFCondition c = update_image_module(ds, g, s, ratio); c.bad()) return c;
    pixSeq = sequence.release();
    removeOldRep = !s.lossless;  // as DCMTK's lossy encoders: the pixels now are what was encoded
    return EC_Normal;
  }

  OFCondition encode(const E_TransferSyntax, const DcmRepresentationParameter*, DcmPixelSequence*,
                     const DcmRepresentationParameter*, DcmPixelSequence*&, const DcmCodecParameter*, DcmStack&,
                     OFBool&) const override {
    return EC_IllegalCall;  // DCMTK decodes to native first
  }
  OFCondition decode(const DcmRepresentationParameter*, DcmPixelSequence*, DcmPolymorphOBOW&,
                     const DcmCodecParameter*, const DcmStack&, OFBool&) const override {
    return EC_IllegalCall;
  }
  OFCondition decodeFrame(const DcmRepresentationParameter*, DcmPixelSequence*, const DcmCodecParameter*, DcmItem*,
                          Uint32, Uint32&, void*, Uint32, OFString&) const override {
    return EC_IllegalCall;
  }
  OFBool canChangeCoding(const E_TransferSyntax from, const E_TransferSyntax to) const override {
    return DcmXfer(from).isNotEncapsulated() && to == syntax_;
  }
  OFCondition determineDecompressedColorModel(const DcmRepresentationParameter*, DcmPixelSequence*,
                                              const DcmCodecParameter*, DcmItem*, OFString&) const override {
    return EC_IllegalCall;
  }

 private:
  E_TransferSyntax syntax_;
};

}  // namespace

void register_j2k_encoder() {
  // Process-wide, never deregistered (as DCMTK's own registrations).
  static J2kCodecParameter parameter;
  static J2kEncoder lossless(EXS_JPEG2000LosslessOnly), lossy(EXS_JPEG2000);
  DcmCodecList::registerCodec(&lossless, nullptr, &parameter);
  DcmCodecList::registerCodec(&lossy, nullptr, &parameter);
}

}  // namespace healthd::dicom::detail
