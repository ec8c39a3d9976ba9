// Search index values: what one SearchParameter's expression yields on a resource, normalised per type.
//
//   fhirpath::EvalContext ctx;  ctx.definitions = defs.get();   // types of elements (needed for choices)
//   search::IndexValues v = search::extract(*reg->find("Patient", "name"), patient, ctx);
//   if (!v.ok()) ... v.error ...
//   v.strings[0].normalized   // "muller" for "Müller"
#pragma once

#include <rapidjson/document.h>

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "fhirpath/fhirpath.h"
#include "search/search_parameters.h"
#include "search/ucum.h"

namespace healthd::search {

// Names the rules that decide a write's index rows: normalize_string()'s rule, then which rows
// are kept ("rows-2": no rows for a parameter that is a union of others, SearchParameterRegistry::
// union_of; no UCUM canonical twin equal to its quantity). An index written under other rules is
// reindexed (searches stay right meanwhile: the rows rows-2 drops were duplicates).
inline constexpr const char* kIndexRules = "icu-casefold-nfkd-nomarks-1 rows-2";

// The one normalization of string search values, for index values and query values alike
// (string_normalize.cpp, ICU): Unicode case folding and compatibility decomposition (NFKC_Casefold
// then NFD), combining diacritical marks removed, and the Latin letters that have no
// decomposition folded to their base ("ø" -> "o", "æ" -> "ae", "ł" -> "l", "đ" -> "d",
// "þ" -> "th"). "Müller" -> "muller", "ÅNGSTRÖM" -> "angstrom", "ΣΟΦΊΑ" -> "σοφια". ASCII text is
// only lower-cased (a fast path). Malformed UTF-8 becomes U+FFFD.
std::string normalize_string(std::string_view s);

struct StringValue {
  std::string normalized;  // normalize_string(original)
  std::string original;    // as in the resource (for :exact)
};

struct TokenValue {
  std::string system;
  std::string code;
  bool has_system = false;  // false: a code/boolean/string primitive (no system at all)
};

// Identifier.type with the value, for `identifier:of-type=system|code|value`.
struct IdentifierOfType {
  std::string type_system, type_code, value;
};

struct ReferenceValue {
  std::string type;     // resource type when known ("Patient"), else empty
  std::string id;       // logical id (for contained: the id without '#')
  std::string version;  // from /_history/v (stripped from type/id, kept here)
  std::string url;      // absolute (http..., urn:uuid:...) or canonical reference as given (without |version)
  bool absolute = false;   // url is an absolute URL or URN
  bool canonical = false;  // a canonical (url[|version])
  bool contained = false;  // "#id"
  std::string identifier_system, identifier_value;  // Reference.identifier (for :identifier)

  // "Type/id" when type and id are known, else the url, else "#id".
  std::string key() const;
  // "Type/id" when this reference points at a resource of this server: relative, or absolute with
  // base_url (e.g. "https://h.example/ws/fhir/svc") as prefix. nullopt otherwise.
  std::optional<std::string> local_key(std::string_view base_url) const;
};

// Half-open range [start_us, end_us) in microseconds since the epoch (UTC); open ends are min/max.
struct DateRange {
  static constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
  static constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  int64_t start_us = kMin;
  int64_t end_us = kMax;
};

// A number with the range its significant figures imply: 100 -> [99.5, 100.5), 1.50 -> [1.495, 1.505).
// A Range (e.g. RiskAssessment.prediction.probabilityRange): low/high are its bounds (open ends +-inf).
struct NumberValue {
  double value = 0, low = 0, high = 0;
  bool is_range = false;
};

// A UCUM quantity yields two: as given, and in its canonical unit ("500 mg" and "0.5 g").
struct QuantityValue {
  double value = 0, low = 0, high = 0;
  std::string system, code, unit;
  // Range: low/high come from Range.low/high (open ends +-inf); value = low (or high).
  bool is_range = false;
  // The canonical twin of a UCUM quantity: indexed as "<code>:canonical", matched only by
  // queries with the UCUM system (themselves converted), never by unit-less ones.
  bool canonical = false;
};

struct IndexValues {
  ParamType type = ParamType::Special;
  std::vector<StringValue> strings;
  std::vector<TokenValue> tokens;
  std::vector<std::string> texts;  // normalized CodeableConcept.text, Coding.display, Identifier.type.text (:text)
  std::vector<IdentifierOfType> of_type;
  std::vector<ReferenceValue> references;
  std::vector<DateRange> dates;
  std::vector<NumberValue> numbers;
  std::vector<QuantityValue> quantities;
  std::vector<std::string> uris;
  std::vector<std::vector<IndexValues>> composites;  // one tuple per item; tuple[i] for component i
  std::string error;  // evaluation error, or a value the type cannot hold (first one)

  bool ok() const { return error.empty(); }
  // Number of values of the parameter's type (what `:missing` looks at).
  size_t count() const;
  bool empty() const { return count() == 0; }
};

// Evaluates param's expression on resource and normalises the result. Parameters of type special
// and those without an expression yield no values (and no error).
IndexValues extract(const SearchParam& param, const rapidjson::Value& resource, const fhirpath::EvalContext& ctx);
// The same over the resource of `resource` (many parameters of one resource share it).
IndexValues extract(const SearchParam& param, fhirpath::ResourceEvaluator& resource);

// A UCUM quantity in its canonical unit (ucum.h): code, value and its range rewritten in place,
// for index values and query values alike. false (nothing changed) for a unit without one.
bool to_canonical_ucum(std::string& code, double& value, double& low, double& high);

// Range [low, high) implied by the significant figures of a decimal literal ("100", "1.50", "1e2").
bool decimal_range(std::string_view text, double& value, double& low, double& high);

}  // namespace healthd::search
