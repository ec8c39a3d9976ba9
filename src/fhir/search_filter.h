// `_filter` (search::FilterExpr) -> store clauses. Each comparison becomes the plain search
// parameter that means the same (`name sw smi` is `name=smi`, `code in url` is `code:in=url`,
// `date ge 2020` is `date=ge2020`), resolved by the caller's resolver, so _filter reads the same
// index tables with the same comparison semantics as the URL parameters. `and` is a list of
// clauses, `or`/`not` are SearchClause::groups, a path step `ref[filter]` or `ref.next` is a chain.
// Not a public header.
#pragma once

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "fhir/store.h"
#include "search/filter_expr.h"

namespace healthd::search {
struct SearchParam;
}

namespace healthd::fhir {

struct FilterResolver {
  // The searchable parameter `code` of `type`, or null.
  std::function<const search::SearchParam*(const std::string& type, std::string_view code)> param;
  // The clause of the URL parameter name=value (name may carry a modifier) on type; nullopt with
  // why set when it cannot be searched.
  std::function<std::optional<SearchClause>(const std::string& type, std::string_view name, std::string_view value,
                                            std::string& why)>
      clause;
};

struct FilterFailure {
  std::string why;
  bool unsupported = false;  // a valid filter this server cannot answer (else the filter is invalid)
};

// The clauses (all must match) that `expr` means on resources of `type`.
std::optional<std::vector<SearchClause>> compile_filter(const search::FilterExpr& expr, const std::string& type,
                                                        const FilterResolver& resolver, FilterFailure& failure);

}  // namespace healthd::fhir
