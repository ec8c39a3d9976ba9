#include "dicom/transfer_syntax.h"

#include <array>

namespace healthd::dicom {

namespace {

// JPEG 2000 is read and written by our OpenJPEG adapters (j2k_decoder.cpp, j2k_encoder.cpp).
constexpr std::array<TransferSyntaxInfo, 14> kSyntaxes = {{
    {"1.2.840.10008.1.2", "Implicit VR Little Endian", false, true, true},
    {"1.2.840.10008.1.2.1", "Explicit VR Little Endian", false, true, true},
    {"1.2.840.10008.1.2.2", "Explicit VR Big Endian", false, true, true},
    {"1.2.840.10008.1.2.1.99", "Deflated Explicit VR Little Endian", false, true, true},
    {"1.2.840.10008.1.2.5", "RLE Lossless", true, true, true},
    {"1.2.840.10008.1.2.4.50", "JPEG Baseline (Process 1)", true, true, true},
    {"1.2.840.10008.1.2.4.51", "JPEG Extended (Process 2 & 4)", true, true, true},
    {"1.2.840.10008.1.2.4.57", "JPEG Lossless (Process 14)", true, true, true},
    {"1.2.840.10008.1.2.4.70", "JPEG Lossless, First-Order Prediction (Process 14 SV1)", true, true, true},
    {"1.2.840.10008.1.2.4.80", "JPEG-LS Lossless", true, true, true},
    {"1.2.840.10008.1.2.4.81", "JPEG-LS Near-Lossless", true, true, true},
    {"1.2.840.10008.1.2.4.90", "JPEG 2000 Lossless", true, true, true},
    {"1.2.840.10008.1.2.4.91", "JPEG 2000", true, true, true},
    {"1.2.840.10008.1.2.4.100", "MPEG2 Main Profile", true, false, false},
}};

}  // namespace

const TransferSyntaxInfo* find_transfer_syntax(std::string_view uid) {
  for (const TransferSyntaxInfo& t : kSyntaxes)
    if (t.uid == uid) return &t;
  return nullptr;
}

std::string describe_transfer_syntax(std::string_view uid) {
  const TransferSyntaxInfo* t = find_transfer_syntax(uid);
  if (!t) return std::string(uid);
  return std::string(t->name) + " (" + std::string(uid) + ")";
}

std::string encodable_transfer_syntaxes(bool compressed_only) {
  std::string out;
  for (const TransferSyntaxInfo& t : kSyntaxes)
    if (t.encodable && (t.encapsulated || !compressed_only)) out += (out.empty() ? "" : ", ") + std::string(t.uid);
  return out;
}

std::string_view requested_or_default(std::string_view asked) {
  return asked.empty() ? kExplicitVrLittleEndian : asked;
}

}  // namespace healthd::dicom
