// SQL text of a search over table `resource` and the ix_* index tables. Values are bound
// positionally (args in order), so one text serves every query of the same shape.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "fhir/store.h"
#include "storage/sqlite_db.h"
#include "storage/sqlite_dictionary.h"

namespace healthd::storage {

struct SqlArg {
  enum class Kind : uint8_t { Int, Real, Text } kind = Kind::Int;
  int64_t i = 0;
  double d = 0;
  std::string t;
};

struct SearchSql {
  std::string page;               // rid, kVersionColumns, then the sort keys; at most count + 1 rows
  std::vector<SqlArg> page_args;
  size_t sort_columns = 0;        // sort key values after kVersionColumns (one per SearchSort)
  std::string total;              // count(*) of every match (no cursor)
  std::vector<SqlArg> total_args;
};

// nullopt when nothing can match (no type searched was ever stored).
std::optional<SearchSql> search_sql(const fhir::SearchQuery& query, const SqliteDictionary& dictionary);

// Binds args to ?1, ?2, ... in order.
void bind_args(Statement& s, const std::vector<SqlArg>& args);

// "a*b" -> "a[*]b": a GLOB pattern that matches the text literally.
std::string glob_escape(std::string_view text);

}  // namespace healthd::storage
