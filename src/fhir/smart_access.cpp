#include "fhir/smart_access.h"

#include "common/outcome.h"
#include "fhir/definitions.h"

namespace healthd::fhir {

namespace {

bool is_clinical_scope(const std::string& s) {
  return s.starts_with("patient/") || s.starts_with("user/") || s.starts_with("system/");
}

const char* letter(auth::Interaction i) {
  switch (i) {
    case auth::Interaction::Create: return "c";
    case auth::Interaction::Read: return "r";
    case auth::Interaction::Update: return "u";
    case auth::Interaction::Delete: return "d";
    case auth::Interaction::Search: return "s";
  }
  return "?";
}

}  // namespace

SmartAccess SmartAccess::for_request(const Request& req, const Definitions& definitions,
                                     std::shared_ptr<const auth::PatientCompartment> compartment,
                                     std::optional<Response>* error_response) {
  SmartAccess a;
  const Principal* p = req.principal.get();
  if (!p || !p->can(DataAction::Smart)) return a;
  bool any_clinical = false;
  for (const auto& s : p->scopes) any_clinical |= is_clinical_scope(s);
  if (!any_clinical) return a;

  std::string why;
  a.scopes_ = auth::SmartScopes::parse(
      p->scopes, [&](std::string_view t) { return definitions.is_resource_type(t); }, &why);
  if (!a.scopes_) {
    *error_response = outcome_response(400, "invalid", "Invalid SMART scopes in the token: " + why);
    return a;
  }
  a.active_ = true;
  a.compartment_ = std::move(compartment);
  a.patient_ = p->patient;
  if (a.scopes_->has_patient_context() && a.patient_.empty())
    *error_response = outcome_response(403, "forbidden",
                                       "patient/ scopes need a patient: the token carries neither a patient claim nor a "
                                       "fhirUser naming a Patient");
  return a;
}

std::optional<Response> SmartAccess::check(const std::string& type, auth::Interaction interaction) const {
  if (!active_) return std::nullopt;
  auth::ScopeDecision d = scopes_->check(type, interaction);
  if (!d.allowed)
    return outcome_response(403, "forbidden",
                            std::string("The token's scopes do not allow '") + letter(interaction) + "' on " + type);
  // Restrictions (v2 `?param=value`) need the search engine to be checked; until it is there,
  // only an unrestricted grant is honoured.
  if (!d.restrictions.empty())
    return outcome_response(403, "forbidden",
                            "The token's scopes restrict " + type + " with search parameters, which this server "
                            "cannot check yet; no unrestricted scope allows the request");
  return std::nullopt;
}

bool SmartAccess::in_compartment(const json::Value& resource) const {
  if (!confines_to_patient()) return true;
  return compartment_ && compartment_->contains(resource, patient_);
}

bool SmartAccess::in_compartment_json(const std::string& resource_json) const {
  if (!confines_to_patient()) return true;
  json::Document d;
  if (!json::parse(resource_json, d)) return false;
  return in_compartment(d);
}

Response SmartAccess::outside_compartment(const std::string& what) {
  return outcome_response(403, "forbidden", what + " is outside the patient compartment the token is confined to");
}

}  // namespace healthd::fhir
