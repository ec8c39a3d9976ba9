// SQL text of a search over resource_version and search_index. Values are bound positionally
// (args in order), so one text serves every query of the same shape.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "fhir/store.h"

namespace healthd::storage {

struct SqlArg {
  enum class Kind : uint8_t { Int, Real, Text } kind = Kind::Int;
  int64_t i = 0;
  double d = 0;
  std::string t;
};

struct SearchSql {
  std::string page;               // kVersionColumns rows, at most count + 1
  std::vector<SqlArg> page_args;
  std::string total;              // count(*) of every match (no cursor)
  std::vector<SqlArg> total_args;
};

// Throws std::invalid_argument when the query has no type.
SearchSql search_sql(const fhir::SearchQuery& query);

// "a*b" -> "a[*]b": a GLOB pattern that matches the text literally.
std::string glob_escape(std::string_view text);

}  // namespace healthd::storage
