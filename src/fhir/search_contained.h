// _contained=true|both and _containedType (R4 search.html#contained). A write indexes each
// contained resource's values as rows of its container named "<type>#<code>" (search.cpp,
// contained_param), so a search for contained resources of a type is a search for containers of
// any type through those rows; _containedType=contained then picks the contained resources that
// match out of each container, checking the parameters in memory (search::matches).
// Not a public header.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "fhir/definitions.h"
#include "fhir/search_request.h"

namespace healthd::fhir {

// Rewrites parsed.query (a search of one type) to match containers of every type holding a
// matching contained resource (and, for both, the type's own resources too). The reason when the
// query cannot be answered so (chains, _has, _lastUpdated, _sort refer to the container).
std::optional<std::string> contained_query(const Definitions& definitions, ParsedSearch& parsed);

struct ContainedMatch {
  std::string local_id;  // the contained resource's id ("" when it has none)
  std::string json;      // the contained resource
};

// The resources of `type` contained in `container_json` that match every parameter of `matched`
// (parameters the in-memory matcher cannot check were checked by the index on the container).
std::vector<ContainedMatch> matching_contained(const ParsedSearch& parsed, const SearchContext& ctx,
                                               const std::string& type, const std::string& container_json);

}  // namespace healthd::fhir
