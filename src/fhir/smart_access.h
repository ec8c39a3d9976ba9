// SMART on FHIR confinement of one request: which interactions the token's scopes allow, and,
// for patient/ scopes, that every resource touched is in the patient's compartment.
// Applies when the caller holds the Smart data action and its token carries clinical scopes;
// otherwise the caller's roles alone decide (checked before the service is reached).
#pragma once

#include <memory>
#include <optional>
#include <string>

#include "auth/compartment.h"
#include "auth/smart_scopes.h"
#include "common/principal.h"
#include "common/request.h"
#include "json/json.h"

namespace healthd::search {
class SearchParameterRegistry;
}

namespace healthd::fhir {

class Definitions;

class SmartAccess {
 public:
  // nullopt + *error_response when the token's scopes are invalid (400) — or no SMART rules apply
  // (returns an inactive SmartAccess).
  // `search_params` evaluates v2 scope restrictions (`?category=...`); without it a restricted
  // grant admits nothing.
  static SmartAccess for_request(const Request& req, const Definitions& definitions,
                                 std::shared_ptr<const auth::PatientCompartment> compartment,
                                 std::optional<Response>* error_response,
                                 std::shared_ptr<const search::SearchParameterRegistry> search_params = nullptr);

  bool active() const { return active_; }
  // 403 unless the scopes allow the interaction on the type.
  std::optional<Response> check(const std::string& type, auth::Interaction interaction) const;
  // Whether individual resources must be looked at: patient/ scopes (compartment) or scopes with
  // search restrictions.
  bool needs_resource_check() const { return active_ && (scopes_->has_patient_context() || restricted_); }
  // True when `interaction` may touch this resource: inside the token's patient compartment
  // (patient/ scopes) and matching one of the granting scopes' restrictions, if they carry any.
  bool permits(const json::Value& resource, auth::Interaction interaction) const;
  bool permits_json(const std::string& resource_json, auth::Interaction interaction) const;
  // 403 response for a resource the scopes do not reach.
  static Response outside_compartment(const std::string& what);

 private:
  bool active_ = false;
  std::optional<auth::SmartScopes> scopes_;
  std::string patient_;
  std::shared_ptr<const auth::PatientCompartment> compartment_;
  std::shared_ptr<const search::SearchParameterRegistry> search_params_;
  const Definitions* definitions_ = nullptr;
  bool restricted_ = false;  // some scope carries a search restriction

  bool matches_restriction(std::string_view type, const json::Value& resource,
                           const auth::ScopeRestriction& restriction) const;
};

}  // namespace healthd::fhir
