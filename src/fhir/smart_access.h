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

namespace healthd::fhir {

class Definitions;

class SmartAccess {
 public:
  // nullopt + *error_response when the token's scopes are invalid (400) — or no SMART rules apply
  // (returns an inactive SmartAccess).
  static SmartAccess for_request(const Request& req, const Definitions& definitions,
                                 std::shared_ptr<const auth::PatientCompartment> compartment,
                                 std::optional<Response>* error_response);

  bool active() const { return active_; }
  // 403 unless the scopes allow the interaction on the type (and no restriction is left unchecked).
  std::optional<Response> check(const std::string& type, auth::Interaction interaction) const;
  // For patient/ scopes: true when the resource is in the token's patient compartment.
  bool in_compartment(const json::Value& resource) const;
  bool in_compartment_json(const std::string& resource_json) const;
  bool confines_to_patient() const { return active_ && scopes_ && scopes_->has_patient_context(); }
  // 403 response for a resource outside the compartment.
  static Response outside_compartment(const std::string& what);

 private:
  bool active_ = false;
  std::optional<auth::SmartScopes> scopes_;
  std::string patient_;
  std::shared_ptr<const auth::PatientCompartment> compartment_;
};

}  // namespace healthd::fhir
