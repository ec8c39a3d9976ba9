// Internal to src/dicom: what the JPEG 2000 decoder (j2k_decoder.cpp) and encoder
// (j2k_encoder.cpp) share: the image geometry a dataset describes, OpenJPEG's objects owned by
// unique_ptr, its message handlers, and DCMTK error conditions.
#pragma once

#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmdata/dccodec.h>
#include <dcmtk/dcmdata/dcitem.h>
#include <openjpeg.h>

#include <memory>
#include <string>

namespace healthd::dicom::detail {

OFCondition j2k_error(const std::string& why);

// What the dataset's Image Pixel module says a frame looks like (native pixels).
struct J2kGeometry {
  Uint16 rows = 0, columns = 0, samples = 1, bits_allocated = 0, bits_stored = 0;
  bool signed_pixels = false;  // PixelRepresentation 1
  bool planar = false;         // PlanarConfiguration 1: color-by-plane
  Uint32 frames = 1;
  Uint32 bytes_per_sample() const { return bits_allocated > 16 ? 4 : bits_allocated > 8 ? 2 : 1; }
  Uint32 frame_size() const { return Uint32(rows) * columns * samples * bytes_per_sample(); }
};

// Reads the geometry; an error when Rows, Columns or BitsAllocated is missing or the image is not
// 1 or 3 samples of at most 32 bits.
OFCondition read_j2k_geometry(DcmItem& ds, J2kGeometry& g);

// Routes codec's messages: the first error into first_error (which must outlive the codec's
// use), warnings and information nowhere.
void capture_j2k_errors(opj_codec_t* codec, std::string& first_error);

// The (empty) codec parameter both JPEG 2000 codecs register with DCMTK.
class J2kCodecParameter : public DcmCodecParameter {
 public:
  DcmCodecParameter* clone() const override { return new J2kCodecParameter(*this); }
  const char* className() const override { return "healthd::J2kCodecParameter"; }
};

struct J2kCodecFree {
  void operator()(opj_codec_t* c) const { opj_destroy_codec(c); }
};
struct J2kStreamFree {
  void operator()(opj_stream_t* s) const { opj_stream_destroy(s); }
};
struct J2kImageFree {
  void operator()(opj_image_t* i) const { opj_image_destroy(i); }
};
using J2kCodec = std::unique_ptr<opj_codec_t, J2kCodecFree>;
using J2kStream = std::unique_ptr<opj_stream_t, J2kStreamFree>;
using J2kImage = std::unique_ptr<opj_image_t, J2kImageFree>;

}  // namespace healthd::dicom::detail
