// The R4 terminology search needs: CodeSystem hierarchies (token :above/:below) and ValueSet
// expansion (token :in/:not-in), from the definitions' CodeSystems and ValueSets, plus ValueSets
// and CodeSystems stored in a FHIR service (found through a lookup the caller gives).
//
//   auto t = search::Terminology::open(HEALTHD_DEFINITIONS_DIR);       // files read on first use
//   auto e = t->expand("http://hl7.org/fhir/ValueSet/observation-status", {}, why);
//   for (const auto& [system, codes] : e->codes) ...;  e->whole_systems: every code of these
//   const search::CodeSystem* cs = t->code_system("http://terminology.hl7.org/CodeSystem/v3-ActCode");
//   cs->descendants_or_self("_ActEncounterCode")
//
// Expansions are computed once and cached: those of the definitions for the process' life, those of
// stored ValueSets per stored version (when they depend on nothing else stored).
#pragma once

#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "json/json.h"

namespace healthd::search {

struct TermStringHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
};

// One CodeSystem's codes and is-a hierarchy (nested concepts, `parent`/`child`/`subsumedBy` properties).
class CodeSystem {
 public:
  std::string url;
  // content = complete: `codes` is every code. Otherwise (example, fragment, not-present) the system
  // has codes this server does not know.
  bool complete = true;
  std::vector<std::string> codes;  // definition order

  bool contains(std::string_view code) const { return index_.contains(code); }
  // code and every code below it (is-a), in definition order; {code} when code is unknown.
  std::vector<std::string> descendants_or_self(std::string_view code) const;
  // code and every code above it.
  std::vector<std::string> ancestors_or_self(std::string_view code) const;

  // From a CodeSystem resource; nullopt when it has no url.
  static std::optional<CodeSystem> parse(const json::Value& resource);

 private:
  void add(std::string_view code, std::string_view parent);
  void link(std::string_view parent, std::string_view child);
  std::unordered_map<std::string, size_t, TermStringHash, std::equal_to<>> index_;  // code -> position
  std::vector<std::vector<size_t>> children_, parents_;
};

// A set of codes: explicit codes per system, plus systems taken whole (all their codes, for
// systems whose codes this server does not hold, such as LOINC).
struct Expansion {
  std::map<std::string, std::set<std::string>> codes;  // system -> codes
  std::set<std::string> whole_systems;
  size_t size() const;
};

// A ValueSet or CodeSystem stored in a FHIR service: `key` names the stored version ("ValueSet/x/_history/3").
struct StoredTerm {
  std::string key;
  std::string json;
};
// Finds a stored resource of `type` ("ValueSet" or "CodeSystem") by canonical url; nullopt: none.
using TermLookup = std::function<std::optional<StoredTerm>(std::string_view type, std::string_view url)>;

class Terminology {
 public:
  // Reads valuesets.json, v3-codesystems.json and v2-tables.json of dir on first use (a missing
  // file counts as empty). max_expansion: larger expansions are refused.
  static std::shared_ptr<const Terminology> open(std::string definitions_dir, size_t max_expansion = 100000);
  // From Bundle JSON texts (tests).
  static std::shared_ptr<const Terminology> from_bundles(const std::vector<std::string>& bundles,
                                                         size_t max_expansion = 100000);

  // The expansion of the ValueSet with canonical url (a `|version` suffix is ignored): the
  // definitions' ValueSet of that url, else the one `lookup` finds. nullptr with why set when the
  // ValueSet is unknown or cannot be expanded (a filter not supported, a code system not held
  // with an exclusion, too many codes).
  std::shared_ptr<const Expansion> expand(std::string_view url, const TermLookup& lookup, std::string& why) const;
  // The definitions' CodeSystem of that url, else the one `lookup` finds (parsed anew; kept
  // alive in `holder`); nullptr when unknown.
  const CodeSystem* code_system(std::string_view url, const TermLookup& lookup,
                                std::shared_ptr<const CodeSystem>& holder) const;

  Terminology(const Terminology&) = delete;
  Terminology& operator=(const Terminology&) = delete;
  ~Terminology();

  struct Data;  // the parsed definitions (terminology.cpp)

 private:
  Terminology() = default;
  const Data& data() const;

  std::vector<std::string> files_;    // read on first use
  std::vector<std::string> bundles_;  // or these texts
  size_t max_expansion_ = 100000;
  mutable std::once_flag loaded_;
  mutable std::unique_ptr<Data> data_;
  mutable std::mutex cache_mu_;
  mutable std::unordered_map<std::string, std::shared_ptr<const Expansion>> cache_;
};

}  // namespace healthd::search
