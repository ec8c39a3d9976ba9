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
  // A broad unsorted search (one clause lists >= kDenseMatches index rows, e.g. a chain on a
  // common name) pages faster by scanning that clause's (rid, pid) index in rid order and checking
  // every clause per resource, over a window of kDenseWindow rids: dense_count caps its count at
  // kDenseMatches; when it reaches it, dense_page is tried first, and it answers when it returns
  // count + 1 rows (else the window held too few matches and `page` runs). Empty: not applicable.
  std::string dense_count;
  std::vector<SqlArg> dense_count_args;
  std::string dense_page;         // the same columns as page
  std::vector<SqlArg> dense_page_args;
};

inline constexpr int64_t kDenseMatches = 2000;
inline constexpr int64_t kDenseWindow = 20000;

// nullopt when nothing can match (no type searched was ever stored).
std::optional<SearchSql> search_sql(const fhir::SearchQuery& query, const SqliteDictionary& dictionary);

// Binds args to ?1, ?2, ... in order.
void bind_args(Statement& s, const std::vector<SqlArg>& args);

// "a*b" -> "a[*]b": a GLOB pattern that matches the text literally.
std::string glob_escape(std::string_view text);

}  // namespace healthd::storage
