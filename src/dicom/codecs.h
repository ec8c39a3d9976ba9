// Internal to src/dicom: DCMTK's pixel codecs, registered once per process (JPEG, JPEG-LS, RLE
// decoders and encoders; the JPEG 2000 decoder over OpenJPEG). Call before anything decodes or
// encodes Pixel Data; later calls cost nothing.
#pragma once

namespace healthd::dicom::detail {

void register_codecs();

// j2k_decoder.cpp: the JPEG 2000 decoder adapter (both J2K syntaxes), registered by
// register_codecs().
void register_j2k_decoder();

}  // namespace healthd::dicom::detail
