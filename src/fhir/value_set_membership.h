// What validation needs from terminology: is a code in a value set? Behind an interface so the
// value set expansion lives in one place (see terminology.cpp).
#pragma once

#include <optional>
#include <string_view>
#include <vector>

#include "common/outcome.h"
#include "fhir/definitions.h"
#include "fhir/validator_path.h"
#include "json/json.h"

namespace healthd::fhir {

class ValueSetMembership {
 public:
  virtual ~ValueSetMembership() = default;
  // Whether system|code is in the value set (canonical URL, no version); an empty system matches
  // a code of any system in it. nullopt when the value set is unknown or cannot be expanded here.
  virtual std::optional<bool> contains(std::string_view value_set, std::string_view system,
                                       std::string_view code) const = 0;
};

// FHIRPath memberOf() over t: a code (any system), Coding or CodeableConcept (any coding) in the
// value set; nullopt when unknown.
std::optional<bool> member_of(const ValueSetMembership& t, const rapidjson::Value* node, std::string_view text,
                              const std::string& value_set);

// Checks a value of an element with a required binding: a code, Coding or CodeableConcept whose
// code is not in the value set is an error (code code-invalid). Values of other types, and value
// sets the terminology cannot expand, are not judged.
void check_required_binding(const ValueSetMembership& terminology, const RequiredBinding& binding, std::string_view type_code,
                            const rapidjson::Value& v, const ValidatorPath& at, std::vector<Issue>& issues);

}  // namespace healthd::fhir
