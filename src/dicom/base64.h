// Internal to src/dicom: standard base64 (RFC 4648, with padding) for InlineBinary.
#pragma once

#include <string>
#include <string_view>

namespace healthd::dicom::detail {

std::string base64_encode(std::string_view bytes);

}  // namespace healthd::dicom::detail
