// Media types as DICOMweb uses them: Content-Type of uploads and parts, Accept of retrievals.
// `multipart/related; type="application/dicom"; transfer-syntax=*` and its unquoted forms.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace healthd::dicom {

struct MediaType {
  std::string type;  // lower case, e.g. "multipart/related"
  std::vector<std::pair<std::string, std::string>> params;  // names lower case, values unquoted
  double q = 1.0;

  // The parameter's value, or nullopt.
  std::optional<std::string_view> param(std::string_view name) const;
};

// Parses one media type with its parameters; nullopt when it has no "type/subtype".
std::optional<MediaType> parse_media_type(std::string_view text);

// Parses an Accept header (comma-separated media ranges; commas inside quotes kept), in the
// order given; "q" is taken out of the parameters. Ranges that do not parse are skipped.
std::vector<MediaType> parse_accept(std::string_view text);

}  // namespace healthd::dicom
