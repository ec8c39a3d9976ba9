// SQL text of the history queries over resource_version, one text per query shape so each
// shape is prepared once per connection. Parameters are named: :type :id :before :since
// :at_start :at_end :limit (only those the shape uses appear).
#pragma once

#include <string>

#include "fhir/store.h"

namespace healthd::storage {

// Columns of every row-returning query, in this order, read by read_stored_version().
inline constexpr const char* kVersionColumns =
    "v.seq, v.type, v.id, v.version, v.last_updated_us, v.kind, v.compressed, v.body";

// Newest first, at most :limit rows. Throws std::invalid_argument for an id without a type.
std::string history_page_sql(const fhir::HistoryQuery& query);
// count(*) of the same versions, ignoring before_seq.
std::string history_total_sql(const fhir::HistoryQuery& query);

}  // namespace healthd::storage
