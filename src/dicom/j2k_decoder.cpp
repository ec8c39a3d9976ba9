// JPEG 2000 decoding for DCMTK (3.6.7 has no JPEG 2000 codec): a DcmCodec that decodes each
// frame's codestream with OpenJPEG into native little endian pixels, color-by-pixel.
// Registered for both J2K syntaxes (.90 lossless, .91); it only decodes.
#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmdata/dccodec.h>
#include <dcmtk/dcmdata/dcdatset.h>
#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcpixseq.h>
#include <dcmtk/dcmdata/dcswap.h>
#include <dcmtk/dcmdata/dcvrpobw.h>
#include <dcmtk/dcmdata/dcxfer.h>
#include <openjpeg.h>

#include <cstring>
#include <memory>
#include <string>

#include "dicom/codecs.h"
#include "dicom/encapsulated.h"
#include "dicom/j2k_support.h"

namespace healthd::dicom::detail {

namespace {

using Geometry = J2kGeometry;

// The dataset's geometry, with no more frames than the sequence has fragments.
OFCondition read_geometry(DcmItem& ds, DcmPixelSequence& seq, Geometry& g) {
  if (OFCondition c = read_j2k_geometry(ds, g); c.bad()) return c;
  if (g.frames >= seq.card()) g.frames = Uint32(seq.card() > 1 ? seq.card() - 1 : 1);
  return EC_Normal;
}

// OpenJPEG reads the codestream from memory through these.
struct Memory {
  const unsigned char* data;
  OPJ_SIZE_T size, pos = 0;
};

OPJ_SIZE_T mem_read(void* buffer, OPJ_SIZE_T n, void* user) {
  auto* m = static_cast<Memory*>(user);
  if (m->pos >= m->size) return static_cast<OPJ_SIZE_T>(-1);
  const OPJ_SIZE_T k = std::min(n, m->size - m->pos);
  std::memcpy(buffer, m->data + m->pos, k);
  m->pos += k;
  return k;
}
OPJ_OFF_T mem_skip(OPJ_OFF_T n, void* user) {
  auto* m = static_cast<Memory*>(user);
  if (n < 0 && OPJ_SIZE_T(-n) > m->pos) n = -OPJ_OFF_T(m->pos);
  m->pos = std::min<OPJ_SIZE_T>(m->size, m->pos + n);
  return n;
}
OPJ_BOOL mem_seek(OPJ_OFF_T at, void* user) {
  auto* m = static_cast<Memory*>(user);
  if (at < 0 || OPJ_SIZE_T(at) > m->size) return OPJ_FALSE;
  m->pos = OPJ_SIZE_T(at);
  return OPJ_TRUE;
}
// Decodes one codestream (raw J2K or a JP2 file) into out: g.frame_size() bytes.
OFCondition decode_stream(const std::string& bytes, const Geometry& g, Uint8* out) {
  static const unsigned char kJp2Signature[] = {0, 0, 0, 0x0C, 'j', 'P', ' ', ' '};
  const bool jp2 = bytes.size() >= 8 && std::memcmp(bytes.data(), kJp2Signature, 8) == 0;
  J2kCodec codec(opj_create_decompress(jp2 ? OPJ_CODEC_JP2 : OPJ_CODEC_J2K));
  std::string message;
  capture_j2k_errors(codec.get(), message);
  opj_dparameters_t params;
  opj_set_default_decoder_parameters(&params);
  if (!opj_setup_decoder(codec.get(), &params)) return j2k_error("cannot set up the decoder");

  Memory mem{reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size()};
  J2kStream stream(opj_stream_create(64 * 1024, OPJ_TRUE));
  opj_stream_set_user_data(stream.get(), &mem, nullptr);
  opj_stream_set_user_data_length(stream.get(), bytes.size());
  opj_stream_set_read_function(stream.get(), mem_read);
  opj_stream_set_skip_function(stream.get(), mem_skip);
  opj_stream_set_seek_function(stream.get(), mem_seek);

  opj_image_t* raw = nullptr;
  if (!opj_read_header(stream.get(), codec.get(), &raw)) {
    opj_image_destroy(raw);
    return j2k_error(message.empty() ? "cannot read the codestream header" : message);
  }
  J2kImage image(raw);
  // Refuse what does not fit the dataset before the (costly) decode.
  if (image->numcomps != g.samples)
    return j2k_error("the codestream has " + std::to_string(image->numcomps) + " components, SamplesPerPixel is " +
                     std::to_string(g.samples));
  if (image->x1 - image->x0 != g.columns || image->y1 - image->y0 != g.rows)
    return j2k_error("the codestream is " + std::to_string(image->x1 - image->x0) + "x" +
                     std::to_string(image->y1 - image->y0) + ", the dataset says " + std::to_string(g.columns) + "x" +
                     std::to_string(g.rows));
  if (!opj_decode(codec.get(), stream.get(), image.get()) || !opj_end_decompress(codec.get(), stream.get()))
    return j2k_error(message.empty() ? "the codestream does not decode" : message);

  const Uint32 pixels = Uint32(g.rows) * g.columns;
  for (Uint32 c = 0; c < image->numcomps; ++c) {
    const opj_image_comp_t& comp = image->comps[c];
    if (comp.w != g.columns || comp.h != g.rows || !comp.data) return j2k_error("subsampled components are not supported");
  }
  const Uint32 step = g.bytes_per_sample();
  const unsigned sign_shift = g.signed_pixels && g.bits_stored > 0 && g.bits_stored < 32 ? 32 - g.bits_stored : 0;
  for (Uint32 i = 0; i < pixels; ++i) {
    for (Uint32 c = 0; c < g.samples; ++c) {
      // Two's complement truncated to the sample size: the bits DICOM stores for both signs. The
      // dataset's PixelRepresentation decides the sign (a codestream may say unsigned for signed
      // pixels): signed values are sign-extended from BitsStored.
      uint32_t v = static_cast<uint32_t>(image->comps[c].data[i]);
      if (sign_shift) v = static_cast<uint32_t>(static_cast<int32_t>(v << sign_shift) >> sign_shift);
      Uint8* p = out + (size_t(i) * g.samples + c) * step;
      for (Uint32 b = 0; b < step; ++b) p[b] = static_cast<Uint8>(v >> (8 * b));
    }
  }
  return EC_Normal;
}

// Decoding turns YBR_RCT / YBR_ICT into RGB (OpenJPEG applies the inverse transform).
OFString decoded_color_model(DcmItem& ds) {
  OFString pi;
  ds.findAndGetOFString(DCM_PhotometricInterpretation, pi);
  if (pi == "YBR_RCT" || pi == "YBR_ICT") return "RGB";
  return pi;
}

OFCondition decode_frame_into(DcmPixelSequence& seq, const Geometry& g, Uint32 frame, Uint8* out,
                              Uint32* next_item) {
  Uint32 first = 0, end = 0;
  std::string why, bytes;
  if (!frame_fragments(seq, g.frames, frame, &first, &end, &why)) return j2k_error(why);
  if (!fragment_bytes(seq, first, end, bytes, &why)) return j2k_error(why);
  if (next_item) *next_item = end;
  return decode_stream(bytes, g, out);
}

class J2kDecoder : public DcmCodec {
 public:
  explicit J2kDecoder(E_TransferSyntax syntax) : syntax_(syntax) {}

  OFCondition decode(const DcmRepresentationParameter*, DcmPixelSequence* seq, DcmPolymorphOBOW& pixels,
                     const DcmCodecParameter*, const DcmStack& stack, OFBool& /*removeOldRep*/) const override {
    DcmStack local(stack);
    local.pop();  // the Pixel Data element
    DcmObject* parent = local.pop();
    if (!seq || !parent || (parent->ident() != EVR_dataset && parent->ident() != EVR_item)) return EC_InvalidTag;
    auto& ds = *static_cast<DcmItem*>(parent);
    Geometry g;
    if (OFCondition c = read_geometry(ds, *seq, g); c.bad()) return c;
    Uint32 total = g.frame_size() * g.frames;
    total += total & 1;  // even length
    Uint16* words = nullptr;
    if (OFCondition c = pixels.createUint16Array(total / 2, words); c.bad()) return c;
    auto* out = reinterpret_cast<Uint8*>(words);
    std::memset(out, 0, total);
    for (Uint32 f = 0; f < g.frames; ++f)
      if (OFCondition c = decode_frame_into(*seq, g, f, out + size_t(f) * g.frame_size(), nullptr); c.bad()) return c;
    if (gLocalByteOrder == EBO_BigEndian) swapIfNecessary(gLocalByteOrder, EBO_LittleEndian, out, total, g.bytes_per_sample());
    return update_image_module(ds, g);
  }

  OFCondition decodeFrame(const DcmRepresentationParameter*, DcmPixelSequence* seq, const DcmCodecParameter*,
                          DcmItem* ds, Uint32 frame, Uint32& startFragment, void* buffer, Uint32 size,
                          OFString& colorModel) const override {
    if (!seq || !ds) return EC_IllegalCall;
    Geometry g;
    if (OFCondition c = read_geometry(*ds, *seq, g); c.bad()) return c;
    if (size < g.frame_size()) return EC_IllegalCall;
    Uint32 next = 0;
    if (OFCondition c = decode_frame_into(*seq, g, frame, static_cast<Uint8*>(buffer), &next); c.bad())
      return c;
    startFragment = next;
    colorModel = decoded_color_model(*ds);
    return EC_Normal;
  }

  OFCondition encode(const Uint16*, const Uint32, const DcmRepresentationParameter*, DcmPixelSequence*&,
                     const DcmCodecParameter*, DcmStack&, OFBool&) const override {
    return EC_IllegalCall;
  }
  OFCondition encode(const E_TransferSyntax, const DcmRepresentationParameter*, DcmPixelSequence*,
                     const DcmRepresentationParameter*, DcmPixelSequence*&, const DcmCodecParameter*, DcmStack&,
                     OFBool&) const override {
    return EC_IllegalCall;
  }

  OFBool canChangeCoding(const E_TransferSyntax from, const E_TransferSyntax to) const override {
    return from == syntax_ && DcmXfer(to).isNotEncapsulated();
  }

  OFCondition determineDecompressedColorModel(const DcmRepresentationParameter*, DcmPixelSequence*,
                                              const DcmCodecParameter*, DcmItem* ds,
                                              OFString& colorModel) const override {
    if (!ds) return EC_IllegalCall;
    colorModel = decoded_color_model(*ds);
    return EC_Normal;
  }

 private:
  // The dataset now describes native, color-by-pixel pixels.
  static OFCondition update_image_module(DcmItem& ds, const Geometry& g) {
    OFCondition c = EC_Normal;
    if (g.samples == 3) {
      c = ds.putAndInsertString(DCM_PhotometricInterpretation, decoded_color_model(ds).c_str());
      if (c.good()) c = ds.putAndInsertUint16(DCM_PlanarConfiguration, 0);
    }
    return c;
  }

  E_TransferSyntax syntax_;
};

}  // namespace

void register_j2k_decoder() {
  // Process-wide, never deregistered (as DCMTK's own registrations).
  static J2kCodecParameter parameter;
  static J2kDecoder lossless(EXS_JPEG2000LosslessOnly), lossy(EXS_JPEG2000);
  DcmCodecList::registerCodec(&lossless, nullptr, &parameter);
  DcmCodecList::registerCodec(&lossy, nullptr, &parameter);
}

}  // namespace healthd::dicom::detail
