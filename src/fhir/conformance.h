// Full validation ($validate and opt-in profile validation on writes): the structural walk of the
// write validator, plus, in the same walk, ele-1, the base R4 invariants (FHIRPath) with their
// severity and required bindings; then each profile asked for or claimed in meta.profile.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "common/outcome.h"
#include "fhir/definitions.h"
#include "fhir/invariants.h"
#include "fhir/profile_cache.h"
#include "fhir/value_set_membership.h"
#include "fhir/validator.h"

namespace healthd::fhir {

struct ValidationOptions {
  std::vector<std::string> profiles;  // asked for explicitly (profile parameter): unknown ones are errors
  bool meta_profiles = true;          // also meta.profile of the resource (unknown ones: warnings)
};

class Conformance {
 public:
  // terminology may be null (bindings are then not checked).
  Conformance(std::shared_ptr<const Definitions> defs, std::shared_ptr<const ValueSetMembership> terminology);

  // Every issue found (errors, warnings, information). profiles may be null (no profiles known).
  std::vector<Issue> validate(const rapidjson::Value& resource, const ValidationOptions& options,
                              ProfileCache* profiles) const;

  const BaseInvariants& invariants() const { return invariants_; }

 private:
  std::shared_ptr<const Definitions> defs_;
  std::shared_ptr<const ValueSetMembership> terminology_;
  Validator structural_;
  BaseInvariants invariants_;
};

}  // namespace healthd::fhir
