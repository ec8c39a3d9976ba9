// Structural validation of a FHIR R4 JSON resource on write (https://hl7.org/fhir/R4/json.html):
// known elements, JSON types, cardinality, required elements and primitive formats.
// Invariants, terminology bindings and profiles are checked by a ValidationHook the layers above
// FHIRPath plug into the same walk ($validate, fhir/conformance.h).
#pragma once

#include <rapidjson/document.h>

#include <memory>
#include <vector>

#include "common/outcome.h"
#include "fhir/definitions.h"
#include "fhir/validator_path.h"

namespace healthd::fhir {

// Checks added to the structural walk. Called after the structure of each visited node was checked.
class ValidationHook {
 public:
  virtual ~ValidationHook() = default;
  // Where a node is: the nearest enclosing resource (%resource) and the outermost one (%rootResource).
  struct Scope {
    const rapidjson::Value* resource = nullptr;
    const rapidjson::Value* root = nullptr;
  };
  // An object: a resource, a datatype value, a backbone element, a primitive's `_name` (model Element).
  virtual void object(const rapidjson::Value& v, const TypeModel& model, const Scope& scope, const ValidatorPath& at,
                      std::vector<healthd::Issue>& issues) = 0;
  // One value of an element that has extra invariants or a required binding (array items one by one).
  virtual void value(const rapidjson::Value& v, const ElementModel& el, const Scope& scope, const ValidatorPath& at,
                     std::vector<healthd::Issue>& issues) = 0;
};

class Validator {
 public:
  explicit Validator(std::shared_ptr<const Definitions> defs);

  // Issues for the resource (empty when valid). Every issue is an error with code structure
  // (unknown element, wrong JSON type, array vs single), required (missing) or value (bad primitive),
  // and an expression such as Patient.name[0].given[1]. Stops after kMaxIssues.
  // With a hook, its checks run in the same walk (issues of any severity; kMaxIssues still applies).
  std::vector<healthd::Issue> validate(const rapidjson::Value& resource, ValidationHook* hook = nullptr) const;

  static constexpr size_t kMaxIssues = 100;
  static constexpr int kMaxDepth = 64;  // nested objects; deeper input is rejected

 private:
  std::shared_ptr<const Definitions> defs_;
};

}  // namespace healthd::fhir
