#include "dicom/j2k_support.h"

#include <dcmtk/dcmdata/dcdeftag.h>

namespace healthd::dicom::detail {

OFCondition j2k_error(const std::string& why) {
  return makeOFCondition(OFM_dcmdata, 0x7f01, OF_error, ("JPEG 2000: " + why).c_str());
}

OFCondition read_j2k_geometry(DcmItem& ds, J2kGeometry& g) {
  if (ds.findAndGetUint16(DCM_Rows, g.rows).bad() || ds.findAndGetUint16(DCM_Columns, g.columns).bad() ||
      ds.findAndGetUint16(DCM_BitsAllocated, g.bits_allocated).bad())
    return j2k_error("Rows, Columns or BitsAllocated missing");
  ds.findAndGetUint16(DCM_SamplesPerPixel, g.samples);
  if (ds.findAndGetUint16(DCM_BitsStored, g.bits_stored).bad() || g.bits_stored == 0 ||
      g.bits_stored > g.bits_allocated)
    g.bits_stored = g.bits_allocated;
  Uint16 value = 0;
  g.signed_pixels = ds.findAndGetUint16(DCM_PixelRepresentation, value).good() && value == 1;
  g.planar = g.samples == 3 && ds.findAndGetUint16(DCM_PlanarConfiguration, value).good() && value == 1;
  Sint32 frames = 0;
  if (ds.findAndGetSint32(DCM_NumberOfFrames, frames).good() && frames > 0) g.frames = Uint32(frames);
  if (!g.rows || !g.columns || (g.samples != 1 && g.samples != 3) || !g.bits_allocated || g.bits_allocated > 32)
    return j2k_error("unsupported image geometry");
  return EC_Normal;
}

namespace {

void keep_first_message(const char* msg, void* user) {
  auto* s = static_cast<std::string*>(user);
  if (s->empty()) *s = msg;
  while (!s->empty() && (s->back() == '\n' || s->back() == ' ')) s->pop_back();
}

void ignore_message(const char*, void*) {}

}  // namespace

void capture_j2k_errors(opj_codec_t* codec, std::string& first_error) {
  opj_set_error_handler(codec, keep_first_message, &first_error);
  opj_set_warning_handler(codec, ignore_message, nullptr);
  opj_set_info_handler(codec, ignore_message, nullptr);
}

}  // namespace healthd::dicom::detail
