// The DICOM data dictionary (DCMTK's) as plain lookups: keywords, tags and standard VRs.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "dicom/tag.h"

namespace healthd::dicom {

// The tag of a keyword in the DICOM dictionary (any attribute, e.g. "SeriesDescription"), or of
// eight hex digits.
std::optional<Tag> tag_of(std::string_view keyword_or_hex);

// The dictionary VR of a standard tag ("PN"); "" when the tag is not in the dictionary or has
// more than one possible VR (e.g. "US or SS").
std::string dictionary_vr(Tag tag);

// The dictionary keyword ("PatientName"); "" when unknown.
std::string dictionary_keyword(Tag tag);

}  // namespace healthd::dicom
