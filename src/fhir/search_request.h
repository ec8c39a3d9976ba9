// A FHIR search request's parameters -> the store query (with chains, _has, modifiers) plus the
// result controls (_count, _sort, _include, _revinclude, _summary, _elements). Not a public header.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "common/outcome.h"
#include "common/request.h"
#include "fhir/definitions.h"
#include "fhir/settings.h"
#include "fhir/store.h"
#include "fhir/subsetting.h"
#include "search/terminology.h"

namespace healthd::search {
class SearchParameterRegistry;
struct SearchParam;
}  // namespace healthd::search

namespace healthd::fhir {

// _include=Observation:subject[:Patient] (or Observation:*), _revinclude=Provenance:target.
struct IncludeSpec {
  std::string source_type;  // the type whose reference parameter is followed
  std::string param;        // "*" for every reference parameter of source_type
  std::string target_type;  // only references to this type ("" = any)
  bool iterate = false;     // also from included resources (:iterate / :recurse)
};

struct ParsedSearch {
  SearchQuery query;
  std::string kept;             // the accepted parameters, encoded, for the Bundle links
  std::string cursor;           // _cursor as given (the self link of a later page)
  std::vector<Issue> warnings;  // ignored parameters (lenient handling), capped _count
  std::vector<IncludeSpec> include, revinclude;
  bool summary_count = false;  // _summary=count: the total only
  Subsetting subsetting;       // _summary=true|text|data, _elements
  // _contained=false|true|both: containers only (the default), resources contained in others,
  // or both; _containedType=contained answers contained resources themselves.
  enum class Contained { Off, Only, Both } contained = Contained::Off;
  bool as_contained = false;
  std::vector<std::pair<std::string, std::string>> matched;  // the search parameters in the query
};

struct SearchContext {
  std::shared_ptr<const search::SearchParameterRegistry> params;  // the request's snapshot
  const Definitions* definitions = nullptr;
  const ServiceSettings* settings = nullptr;
  std::string base_url;
  bool strict = false;  // Prefer: handling=strict
  // Token :in/:not-in/:above/:below (nullptr: those modifiers are not supported), and how it
  // finds ValueSets and CodeSystems stored in the service.
  const search::Terminology* terminology = nullptr;
  search::TermLookup term_lookup;
};

// Parses `params` for a search over `types` (one type; empty = system search over every type,
// narrowed by _type). Returns an error answer (400) instead when the request is malformed, or
// when strict handling meets an unknown or unsupported parameter.
std::optional<Response> parse_search(const SearchContext& ctx, const std::vector<std::string>& types,
                                     const std::vector<std::pair<std::string, std::string>>& params,
                                     ParsedSearch& out);

// The index name of parameter `code` of resources of `type` contained in others ("Medication#code").
inline std::string contained_param(const std::string& type, const std::string& code) { return type + "#" + code; }

// Whether search answers this parameter (and the CapabilityStatement lists it): custom
// parameters only once enabled.
bool searchable(const search::SearchParam& param);
// Whether writes store index rows for this parameter (enabled or not).
bool indexed(const search::SearchParam& param);
// Composites indexed in ix_composite (components resolved): a token or reference, then either one
// token, string, number, quantity or date, or two numbers (the three-component MolecularSequence
// coordinates: chromosome or reference sequence, start, end).
bool indexed_composite(const search::SearchParam& param);
// The parameters whose index rows stand for `param`'s on `type` (a union of their expressions,
// SearchParameterRegistry::union_of; all of them indexed): writes store no rows for `param`, a
// search on it reads theirs. Empty for a parameter with rows of its own.
std::vector<const search::SearchParam*> row_sources(const search::SearchParameterRegistry& params,
                                                    const std::string& type, const search::SearchParam& param);

}  // namespace healthd::fhir
