// QIDO-RS matching (PS3.4 C.2.2.2): one condition against one value, and a row against a query.
// The store narrows candidates; these functions decide.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "dicom/qido_query.h"
#include "dicom/store.h"

namespace healthd::dicom {

// Does value (nullopt: attribute absent) satisfy the condition? An absent or empty value never
// does (a condition with an empty value is universal and never built).
bool matches_value(const Condition& condition, const std::optional<std::string>& value);

// Every condition of the query holds for the row.
bool matches_row(const QidoQuery& query, const IndexRow& row);

// Lower case with accents removed (Latin letters), for case- and accent-insensitive matching.
std::string fold_text(std::string_view utf8);

// Glob matching with * (any run) and ? (one character, UTF-8 aware).
bool wildcard_match(std::string_view pattern, std::string_view text);

}  // namespace healthd::dicom
