// A StructureDefinition profile compiled for validation: its differential (or, without one, its
// snapshot) resolved against the base R4 model by element id/path, as a tree of element rules:
// cardinality, fixed and pattern values, required bindings, invariants, and slicing by
// value/pattern discriminators with per-slice cardinality.
#pragma once

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/outcome.h"
#include "fhir/definitions.h"
#include "fhir/invariants.h"
#include "fhir/value_set_membership.h"
#include "fhir/validator_path.h"
#include "json/json.h"

namespace healthd::fhir {

struct ProfileNode;

class Profile {
 public:
  // Compiles a StructureDefinition (JSON). On failure returns nullptr and sets error.
  static std::shared_ptr<const Profile> compile(const rapidjson::Value& sd, const Definitions& defs, std::string* error);
  ~Profile();

  const std::string& url() const { return url_; }
  const std::string& type() const { return type_; }
  // The profile this one constrains further, when it is not a base R4 definition (validated too).
  const std::string& base_profile() const { return base_profile_; }

  struct Env {
    const Definitions* definitions = nullptr;
    const ValueSetMembership* terminology = nullptr;
  };
  // Issues of the resource against this profile only (the base walk is done elsewhere).
  void validate(const rapidjson::Value& resource, const Env& env, std::vector<Issue>& issues) const;

 private:
  Profile();
  std::string url_, type_, base_profile_;
  std::unique_ptr<ProfileNode> root_;
  std::shared_ptr<rapidjson::Document> values_;  // owns fixed/pattern values
  std::vector<std::string> notes_;  // what the profile says that is not checked (information issues)
};

}  // namespace healthd::fhir
