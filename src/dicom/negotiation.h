// Internal to the DICOM service: choosing the answer's media type from Accept for WADO-RS.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "common/request.h"

namespace healthd::dicom {

struct Negotiated {
  bool multipart = true;
  std::string transfer_syntax;  // as asked: "", "*" or a UID
};

// part_type: "application/dicom" or "application/octet-stream". Accepted, in the order given
// (q-values respected): multipart/related with that type (quoted or not) or no type,
// multipart/*, */*, and the part type itself when single is allowed. No Accept: multipart.
// nullopt with *error when nothing acceptable is asked for.
std::optional<Negotiated> negotiate(const Request& request, std::string_view part_type, bool single_allowed,
                                    std::string* error);

}  // namespace healthd::dicom
