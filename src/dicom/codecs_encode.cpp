#include "dicom/codecs_encode.h"

#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcelem.h>
#include <dcmtk/dcmjpls/djrparam.h>

namespace healthd::dicom::detail {

namespace {

// Clears the bits above BitsStored in native pixels. DCMTK's JPEG-LS encoder (CharLS) asserts --
// aborting the process -- on samples outside BitsStored; those bits are not part of the pixel
// value (PS3.5 8.1.1), so dropping them loses nothing. Signed pixels with fewer bits stored than
// allocated make it assert even then (its "cooked" path): refused.
OFCondition clear_unused_bits(DcmDataset& ds) {
  Uint16 allocated = 0, stored = 0, representation = 0;
  if (ds.findAndGetUint16(DCM_BitsAllocated, allocated).bad() || ds.findAndGetUint16(DCM_BitsStored, stored).bad())
    return EC_TagNotFound;
  if (ds.findAndGetUint16(DCM_PixelRepresentation, representation).good() && representation == 1 && stored < allocated)
    return makeOFCondition(OFM_dcmdata, 0x7f02, OF_error,
                           "signed pixels with BitsStored below BitsAllocated are not encoded in JPEG-LS");
  // Debian's DCMTK 3.6.7 writes past its buffers encoding color JPEG-LS (valgrind, 3x3 RGB): refused.
  Uint16 samples = 1;
  if (ds.findAndGetUint16(DCM_SamplesPerPixel, samples).good() && samples != 1)
    return makeOFCondition(OFM_dcmdata, 0x7f03, OF_error, "color images are not encoded in JPEG-LS");
  if (stored == 0 || stored >= allocated || (allocated != 8 && allocated != 16)) return EC_Normal;
  DcmElement* pixels = nullptr;
  if (ds.findAndGetElement(DCM_PixelData, pixels).bad() || !pixels) return EC_TagNotFound;
  const Uint32 length = pixels->getLength();
  if (allocated == 16) {
    Uint16* words = nullptr;
    if (OFCondition c = pixels->getUint16Array(words); c.bad() || !words) return c.bad() ? c : EC_IllegalCall;
    const Uint16 mask = static_cast<Uint16>((1u << stored) - 1);
    for (Uint32 i = 0; i < length / 2; ++i) words[i] &= mask;
  } else {
    Uint8* bytes = nullptr;
    if (OFCondition c = pixels->getUint8Array(bytes); c.bad() || !bytes) return c.bad() ? c : EC_IllegalCall;
    const Uint8 mask = static_cast<Uint8>((1u << stored) - 1);
    for (Uint32 i = 0; i < length; ++i) bytes[i] &= mask;
  }
  return EC_Normal;
}

bool is_jpeg_ls(E_TransferSyntax x) { return x == EXS_JPEGLSLossless || x == EXS_JPEGLSLossy; }

}  // namespace

OFCondition choose_target_representation(DcmDataset& ds, E_TransferSyntax target) {
  const E_TransferSyntax representation = DcmXfer(target).isEncapsulated() ? target : EXS_LittleEndianExplicit;
  OFCondition c = EC_Normal;
  if (is_jpeg_ls(representation)) {
    c = ds.chooseRepresentation(EXS_LittleEndianExplicit, nullptr);
    if (c.good()) c = clear_unused_bits(ds);
  }
  // JPEG-LS near-lossless: DCMTK's default parameter would encode losslessly (NEAR 0).
  const DJLSRepresentationParameter near_lossless(2, OFFalse);
  const DcmRepresentationParameter* parameter = representation == EXS_JPEGLSLossy ? &near_lossless : nullptr;
  if (c.good()) c = ds.chooseRepresentation(representation, parameter);
  return c;
}

}  // namespace healthd::dicom::detail
