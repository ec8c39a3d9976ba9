// Structural validation of a FHIR R4 JSON resource on write (https://hl7.org/fhir/R4/json.html):
// known elements, JSON types, cardinality, required elements and primitive formats.
// No invariants (FHIRPath constraints), no terminology bindings, no profiles.
#pragma once

#include <rapidjson/document.h>

#include <memory>
#include <vector>

#include "common/outcome.h"
#include "fhir/definitions.h"

namespace healthd::fhir {

class Validator {
 public:
  explicit Validator(std::shared_ptr<const Definitions> defs);

  // Issues for the resource (empty when valid). Every issue is an error with code structure
  // (unknown element, wrong JSON type, array vs single), required (missing) or value (bad primitive),
  // and an expression such as Patient.name[0].given[1]. Stops after kMaxIssues.
  std::vector<healthd::Issue> validate(const rapidjson::Value& resource) const;

  static constexpr size_t kMaxIssues = 100;
  static constexpr int kMaxDepth = 64;  // nested objects; deeper input is rejected

 private:
  std::shared_ptr<const Definitions> defs_;
};

}  // namespace healthd::fhir
