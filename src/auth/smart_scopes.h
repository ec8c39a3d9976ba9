// SMART on FHIR clinical scopes (App Launch 1 and 2): parse a token's scopes, then decide whether an
// interaction on a resource type is allowed and under which search restrictions.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace healthd::auth {

enum class Interaction { Create, Read, Update, Delete, Search };  // c r u d s
enum class ScopeContext { Patient, User, System };

// A v2 search restriction: (parameter, value) pairs, all of which must match. Percent-decoded.
using ScopeRestriction = std::vector<std::pair<std::string, std::string>>;

struct ScopeDecision {
  bool allowed = false;
  // Alternatives: any one restriction set must match; empty = unrestricted.
  std::vector<ScopeRestriction> restrictions;
};

// One clinical scope, e.g. patient/Observation.rs?category=laboratory.
struct ResourceScope {
  ScopeContext context = ScopeContext::Patient;
  std::string resource_type;    // a resource type, or "*"
  uint8_t interactions = 0;     // bits: 1 << Interaction
  bool v2 = false;              // cruds letters, else .read / .write / .*
  ScopeRestriction restriction;  // v2 only; empty = none
};

class SmartScopes {
 public:
  // Parses the token's scopes. Scopes outside patient/, user/, system/ (openid, fhirUser, launch,
  // launch/patient, offline_access, online_access, profile, ...) are ignored. Returns nullopt and sets
  // *error (the caller answers 400) for: a malformed clinical scope, v2 letters repeated or out of
  // "cruds" order, an unknown resource type, a restriction on a v1 scope, chains / modifiers (":") /
  // _has / _include / _revinclude / result parameters inside a restriction, mixing v1 and v2, and
  // mixing contexts (any two of patient/, user/, system/).
  static std::optional<SmartScopes> parse(const std::vector<std::string>& scopes,
                                          const std::function<bool(std::string_view)>& is_resource_type,
                                          std::string* error);

  ScopeDecision check(std::string_view resource_type, Interaction interaction) const;

  bool has_patient_context() const;  // any patient/ scope -> compartment confinement applies
  bool has_user_context() const;
  bool has_system_context() const;
  bool any_resource_scope() const;
  const std::vector<ResourceScope>& resource_scopes() const { return scopes_; }

 private:
  bool has_context(ScopeContext c) const;

  std::vector<ResourceScope> scopes_;
};

}  // namespace healthd::auth
