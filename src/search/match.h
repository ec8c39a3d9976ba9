// In-memory matching of one search parameter value against a resource's extracted values, per the
// FHIR R4 search rules (used for SMART v2 scope restrictions and the search engine's in-memory filter).
//
//   auto values = search::extract(*p, resource, ctx);
//   bool ok = search::matches(*p, values, "", "http://loinc.org|8867-4,http://loinc.org|8480-6");
//
// value is the raw (URL-decoded) parameter value: a comma OR list, `\,` `\|` `\$` `\\` escapes.
// Modifiers: "" exact contains text not missing above below identifier of-type and a resource type
// (`subject:Patient`). supported() tells which apply to a parameter; matches() is false for others.
#pragma once

#include <string_view>

#include "search/index_values.h"

namespace healthd::search {

struct MatchOptions {
  std::string_view base_url;  // this server's base: absolute references under it match Type/id searches
  int64_t now_us = 0;         // for `ap` on dates (0: the clock)
};

bool supported(const SearchParam& param, std::string_view modifier);

bool matches(const SearchParam& param, const IndexValues& values, std::string_view modifier, std::string_view value);
bool matches(const SearchParam& param, const IndexValues& values, std::string_view modifier, std::string_view value,
             const MatchOptions& options);

// Splits on an unescaped separator; escapes are kept in the parts (unescape() them last).
std::vector<std::string_view> split_escaped(std::string_view s, char sep);
std::string unescape(std::string_view s);

}  // namespace healthd::search
