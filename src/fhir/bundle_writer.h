// Writing Bundle answers (searchset, history) with RapidJSON's streaming writer: the pieces both
// share. Not a public header.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/outcome.h"
#include "json/json.h"

namespace healthd::fhir::bundle {

using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

void key(Writer& w, std::string_view k);
void string(Writer& w, std::string_view s);
// {"relation": relation, "url": url}
void link(Writer& w, const char* relation, const std::string& url);
// Opens the Bundle object: resourceType, type and, when known, total. The caller goes on with
// "link" and "entry" and closes the object.
void begin(Writer& w, const char* type, std::optional<int64_t> total);
// The warnings as one entry holding an OperationOutcome, search.mode = outcome (none when empty).
void outcome_entry(Writer& w, const std::vector<Issue>& warnings);

}  // namespace healthd::fhir::bundle
