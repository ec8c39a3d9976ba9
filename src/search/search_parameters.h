// The FHIR R4 SearchParameters (definitions/r4/search-parameters.json), each expression compiled once.
//
//   auto reg = search::SearchParameterRegistry::load(HEALTHD_DEFINITIONS_DIR);
//   const search::SearchParam* p = reg->find("Observation", "code");
//   for (const search::SearchParam* q : reg->for_type("Patient")) ...   // includes _id, _lastUpdated, ...
//
// A parameter shared by several types (`Observation.code | Condition.code`) is found, per type, with
// its expression narrowed to that type's operands (`Observation.code`); by_url() and all() give the
// parameter as defined.
//
// Custom parameters (a FHIR service's SearchParameter resources) make a snapshot over the R4
// registry, which is shared, not copied:
//   auto snap = search::SearchParameterRegistry::with_custom(r4, std::move(parsed_custom_params));
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <rapidjson/document.h>

#include "fhirpath/fhirpath.h"

namespace healthd::search {

enum class ParamType : uint8_t { Number, Date, String, Token, Reference, Composite, Quantity, Uri, Special };

// "number" -> Number ...; returns false for an unknown name.
bool parse_param_type(std::string_view name, ParamType& out);
std::string_view param_type_name(ParamType t);

struct SearchParam;

// One component of a composite parameter: its definition (another SearchParameter) and its expression,
// relative to each item the composite's expression yields.
struct Component {
  std::string definition;   // canonical URL of the component's SearchParameter
  std::string expression;   // e.g. "value.ofType(Quantity)"
  const SearchParam* param = nullptr;  // the definition, resolved at load (nullptr when unknown)
  // Compiled as `(<composite expression>)[%index].select(<expression>)`, evaluated per composite item.
  fhirpath::Expression compiled;
  bool compiled_ok = false;
};

struct SearchParam {
  std::string url, code, type;  // type: number date string token reference composite quantity uri special
  ParamType kind = ParamType::Special;
  std::vector<std::string> base, target;
  std::string expression;       // empty for the few parameters without one (_text, _content, _query)
  fhirpath::Expression compiled;
  bool compiled_ok = false;     // expression non-empty and parsed
  std::vector<Component> components;  // composite only
  // Custom parameters (SearchParameter resources of a service) are indexed on every write but
  // answer searches only once a $reindex job has indexed every stored resource with them.
  bool custom = false;
  bool enabled = true;
};

// What decides a parameter's index values: code, type, base, expression, targets, components.
// Two definitions with the same key index the same values.
std::string definition_key(const SearchParam& p);

class SearchParameterRegistry {
 public:
  // Loads <definitions_dir>/search-parameters.json (a Bundle of SearchParameter). Throws
  // std::runtime_error when the file cannot be read or is not such a Bundle. Expressions that fail
  // to parse do not throw: they are listed in errors() and the parameter has compiled_ok = false.
  static std::shared_ptr<const SearchParameterRegistry> load(const std::string& definitions_dir);
  // Same, from the Bundle's JSON text (tests, custom parameters).
  static std::shared_ptr<const SearchParameterRegistry> from_bundle(std::string_view bundle_json,
                                                                    const std::string& source_name);
  // One SearchParameter resource, its expression compiled. nullptr when it has no code or base;
  // other problems (unknown type, an expression that does not parse) are appended to `errors`
  // and leave compiled_ok false.
  static std::unique_ptr<SearchParam> parse_definition(const rapidjson::Value& resource,
                                                       std::vector<std::string>& errors);
  // A snapshot: `base` (kept, not copied) plus `custom`, found before base's parameters.
  // Components of custom composites resolve against both.
  static std::shared_ptr<const SearchParameterRegistry> with_custom(
      std::shared_ptr<const SearchParameterRegistry> base, std::vector<std::unique_ptr<SearchParam>> custom);

  // The parameter `code` of resource_type, or of Resource/DomainResource (_id, _lastUpdated, ...).
  const SearchParam* find(std::string_view resource_type, std::string_view code) const;
  const SearchParam* by_url(std::string_view url) const;
  // Every parameter usable on type: its own, then DomainResource and Resource ones. Sorted by code.
  std::vector<const SearchParam*> for_type(std::string_view type) const;
  // A parameter whose expression on `type` is exactly the union of other parameters' expressions
  // (Observation combo-code = code | component-code; composites: the same components too) has the
  // values they have together: it needs no index rows of its own, a search on it reads theirs.
  // Those parameters (none of them such a union itself), or empty. Only R4 parameters, never
  // references (chains and _has name one parameter), and only while no custom parameter shadows one.
  std::vector<const SearchParam*> union_of(std::string_view type, const SearchParam& param) const;

  // This registry's own parameters (a snapshot: its custom ones, not the base's).
  const std::vector<std::unique_ptr<SearchParam>>& all() const { return params_; }
  size_t size() const { return params_.size(); }
  // The base registry of a snapshot (nullptr for one loaded from definitions).
  const SearchParameterRegistry* base() const { return base_.get(); }
  // "url: expression: parse error" for expressions that failed to parse, and composite components
  // whose definition is unknown.
  const std::vector<std::string>& errors() const { return errors_; }

 private:
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
  };
  using Map = std::unordered_map<std::string, const SearchParam*, Hash, std::equal_to<>>;

  // Fills the lookup maps from params_ (narrowing shared parameters per type) and resolves
  // composite components.
  void build_maps();
  const SearchParam* find_own(std::string_view resource_type, std::string_view code) const;

  std::shared_ptr<const SearchParameterRegistry> base_;
  std::vector<std::unique_ptr<SearchParam>> params_;
  std::vector<std::unique_ptr<SearchParam>> narrowed_;  // per-type copies of shared parameters
  Map by_type_code_;  // "Observation\x1f" "code"
  Map by_url_;
  std::unordered_map<std::string, std::vector<const SearchParam*>, Hash, std::equal_to<>> by_type_;
  // union_of: "Observation\x1f" "combo-code" -> the parameter (as found for that type) and its parts.
  struct Union {
    const SearchParam* param = nullptr;
    std::vector<const SearchParam*> parts;
  };
  std::unordered_map<std::string, Union, Hash, std::equal_to<>> unions_;
  void find_unions();
  std::vector<std::string> errors_;
};

}  // namespace healthd::search
