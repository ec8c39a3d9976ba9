// Internal to src/dicom: DCMTK's pixel codecs, registered once per process (JPEG, JPEG-LS, RLE
// decoders and encoders; JPEG 2000 decoder and encoder over OpenJPEG). Call before anything decodes or
// encodes Pixel Data; later calls cost nothing.
#pragma once

namespace healthd::dicom::detail {

void register_codecs();

// j2k_decoder.cpp: the JPEG 2000 decoder adapter (both J2K syntaxes), registered by
// register_codecs().
void register_j2k_decoder();

// j2k_encoder.cpp: the JPEG 2000 encoder (both J2K syntaxes), registered by register_codecs().
void register_j2k_encoder();

// The compression ratio of JPEG 2000 (.91) encoding: uncompressed bits (BitsStored per sample) to
// codestream bits. 10:1 keeps diagnostic images close to the original (PSNR well above 40 dB on
// CT/MR) while a tenth of the size.
inline constexpr float kJ2kLossyRatio = 10.0f;

}  // namespace healthd::dicom::detail
