// The transfer syntaxes WADO-RS serves and transcodes between, and what the codecs can do with
// each: decode it (read its pixels) and encode it (write pixels in it). Plain data, no DCMTK.
#pragma once

#include <string>
#include <string_view>

namespace healthd::dicom {

inline constexpr std::string_view kExplicitVrLittleEndian = "1.2.840.10008.1.2.1";
inline constexpr std::string_view kImplicitVrLittleEndian = "1.2.840.10008.1.2";

struct TransferSyntaxInfo {
  std::string_view uid;
  std::string_view name;
  bool encapsulated;  // Pixel Data as compressed fragments
  bool decodable;     // its pixels can be read (source of a transcoding)
  bool encodable;     // pixels can be written in it (target of a transcoding)
};

// The entry of uid, or nullptr when the server does not know it.
const TransferSyntaxInfo* find_transfer_syntax(std::string_view uid);

// "JPEG Baseline (1.2.840.10008.1.2.4.50)", or the bare UID when unknown.
std::string describe_transfer_syntax(std::string_view uid);

// The targets a client may ask for, comma separated (for error messages); only the compressed
// ones when compressed_only.
std::string encodable_transfer_syntaxes(bool compressed_only = false);

// A retrieve's target: "" (no transfer-syntax given) means Explicit VR Little Endian (PS3.18
// since 2016c), "*" the stored syntax.
std::string_view requested_or_default(std::string_view asked);

}  // namespace healthd::dicom
