// Internal to the DICOM service: choosing the answer's media type from Accept for WADO-RS.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "common/request.h"

namespace healthd::dicom {

struct Negotiated {
  bool multipart = true;
  std::string transfer_syntax;  // as asked: "", "*" or a UID (an image type's default when it has one)
  std::string part_type;        // the media type of the answer (of each part when multipart)
};

// part_type: "application/dicom" or "application/octet-stream". Accepted, in the order given
// (q-values respected): multipart/related with that type (quoted or not) or no type,
// multipart/*, */*, and the part type itself when single is allowed. No Accept: multipart.
// nullopt with *error when nothing acceptable is asked for.
std::optional<Negotiated> negotiate(const Request& request, std::string_view part_type, bool single_allowed,
                                    std::string* error);

// Frames (PS3.18 8.7.3.5): as negotiate() with application/octet-stream, and also the image
// media types of compressed frames, each with its transfer syntaxes (the first is the default):
// image/jpeg (.50 .51 .57 .70), image/jls (.80 .81), image/jp2 (.90 .91), image/x-dicom-rle (.5).
// A transfer-syntax that does not belong to the image type is not acceptable; "*" with an image
// type means its default.
std::optional<Negotiated> negotiate_frames(const Request& request, bool single_allowed, std::string* error);

}  // namespace healthd::dicom
