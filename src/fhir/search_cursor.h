// The `_cursor` of a search's next link. Unsorted: the last resource's store key ("123").
// Sorted: "s" + base64url of the JSON array [sort key values..., store key] of the last resource,
// so the next page starts right after it in the sort order (keyset paging: no resource repeated or
// skipped while others are written). Then "." and the first page's snapshot seq
// (SearchQuery::snapshot_seq: resources created after the first page never appear on later ones).
// A cursor starting with "p" is backward (a previous link): the page just before that position.
// Last, "~" and a signature (the process's MAC, auth/process_mac.h): a cursor this process did
// not make is refused (400), and one from before a restart too (the key is per process).
// Not a public header.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "fhir/store.h"

namespace healthd::fhir {

std::string sort_cursor(const std::vector<SortKeyValue>& keys, int64_t after);
// cursor (a plain key or sort_cursor's, "p" first for backward) + "." + snapshot + "~" + signature.
std::string snapshot_cursor(const std::string& cursor, int64_t snapshot);
// false when text is not a cursor made by the functions above. snapshot: 0 when it has none.
bool parse_cursor(std::string_view text, std::vector<SortKeyValue>& keys, int64_t& after, int64_t& snapshot,
                  bool& backward);

}  // namespace healthd::fhir
