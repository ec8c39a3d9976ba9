// The `_cursor` of a search's next link. Unsorted: the last resource's store key ("123").
// Sorted: "s" + base64url of the JSON array [sort key values..., store key] of the last resource,
// so the next page starts right after it in the sort order (keyset paging: no resource repeated or
// skipped while others are written). Opaque to clients; a forged cursor only moves the start of a
// page within the same query. Not a public header.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "fhir/store.h"

namespace healthd::fhir {

std::string sort_cursor(const std::vector<SortKeyValue>& keys, int64_t after);
// false when text is not a cursor made by sort_cursor (or a plain positive key).
bool parse_cursor(std::string_view text, std::vector<SortKeyValue>& keys, int64_t& after);

}  // namespace healthd::fhir
