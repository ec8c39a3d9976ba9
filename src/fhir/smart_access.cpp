#include "fhir/smart_access.h"

#include "common/outcome.h"
#include "fhir/definitions.h"
#include "search/index_values.h"
#include "search/match.h"
#include "search/search_parameters.h"

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
                                     std::optional<Response>* error_response,
                                     std::shared_ptr<const search::SearchParameterRegistry> search_params) {
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
  a.search_params_ = std::move(search_params);
  a.definitions_ = &definitions;
  for (const auto& rs : a.scopes_->resource_scopes()) a.restricted_ |= !rs.restriction.empty();
  a.patient_ = p->patient;
  if (a.scopes_->has_patient_context() && a.patient_.empty())
    *error_response = outcome_response(403, "forbidden",
                                       "patient/ scopes need a patient: the token carries neither a patient claim nor a "
                                       "fhirUser naming a Patient");
  return a;
}

std::optional<Response> SmartAccess::check(const std::string& type, auth::Interaction interaction) const {
  if (!active_) return std::nullopt;
  if (!scopes_->check(type, interaction).allowed)
    return outcome_response(403, "forbidden",
                            std::string("The token's scopes do not allow '") + letter(interaction) + "' on " + type);
  return std::nullopt;
}

bool SmartAccess::matches_restriction(std::string_view type, const json::Value& resource,
                                      const auth::ScopeRestriction& restriction) const {
  if (!search_params_) return false;
  for (const auto& [param, value] : restriction) {
    const search::SearchParam* sp = search_params_->find(type, param);
    if (!sp) return false;  // a restriction on a parameter the type does not have admits nothing
    fhirpath::EvalContext ctx;
    ctx.definitions = definitions_;
    ctx.resource = &resource;
    search::IndexValues values = search::extract(*sp, resource, ctx);
    if (!values.ok() || !search::matches(*sp, values, "", value)) return false;
  }
  return true;
}

bool SmartAccess::permits(const json::Value& resource, auth::Interaction interaction) const {
  if (!active_) return true;
  if (scopes_->has_patient_context() && !(compartment_ && compartment_->contains(resource, patient_))) return false;
  auto type = json::get_string(resource, "resourceType");
  if (!type) return false;
  auth::ScopeDecision d = scopes_->check(*type, interaction);
  if (!d.allowed) return false;
  if (d.restrictions.empty()) return true;
  for (const auto& alternative : d.restrictions)
    if (matches_restriction(*type, resource, alternative)) return true;
  return false;
}

bool SmartAccess::permits_json(const std::string& resource_json, auth::Interaction interaction) const {
  if (!needs_resource_check()) return true;
  json::Document d;
  if (!json::parse(resource_json, d)) return false;
  return permits(d, interaction);
}

Response SmartAccess::outside_compartment(const std::string& what) {
  return outcome_response(403, "forbidden",
                          what + " is outside what the token's scopes reach (its patient compartment or its scope "
                                 "restrictions)");
}

}  // namespace healthd::fhir
