#include "fhir/resource_body.h"

#include "common/time.h"

namespace healthd::fhir {

std::optional<Response> parse_resource(const FhirService::Impl& svc, const Request& req, const std::string& type,
                                       json::Document& doc) {
  if (req.body.size() > svc.settings.max_resource_bytes)
    return error(413, "too-costly",
                 "Resource of " + std::to_string(req.body.size()) + " bytes exceeds the limit of " +
                     std::to_string(svc.settings.max_resource_bytes) + " bytes");
  if (req.body.empty()) return error(400, "invalid", "The request has no body; a " + type + " resource was expected");
  std::string why;
  if (!json::parse(req.body, doc, &why)) return error(400, "structure", "The body is not valid JSON: " + why);
  return check_resource(svc, req, doc, type);
}

std::optional<Response> check_resource(const FhirService::Impl& svc, const Request& req, const json::Value& doc,
                                       const std::string& type) {
  if (!doc.IsObject()) return error(400, "structure", "The body must be a JSON object (a FHIR resource)");
  auto rt = json::get_string(doc, "resourceType");
  if (!rt) return error(400, "required", "The resource has no resourceType", "resourceType");
  if (*rt != type)
    return error(400, "invalid",
                 "resourceType '" + std::string(*rt) + "' does not match the URL's type '" + type + "'", "resourceType");
  std::vector<Issue> issues = svc.validator.validate(doc);
  if (has_errors(issues)) return outcome_response(400, issues);
  return svc.profile_validation_failure(req, doc);
}

std::string stamp_resource(json::Value& doc, json::Allocator& a, const std::string& id, int64_t version,
                           int64_t last_updated_us) {
  json::Value meta(rapidjson::kObjectType);
  if (auto it = doc.FindMember("meta"); it != doc.MemberEnd() && it->value.IsObject()) meta = std::move(it->value);
  meta.RemoveMember("versionId");
  meta.RemoveMember("lastUpdated");
  // versionId and lastUpdated first, then whatever the client sent (profile, tag, security, source).
  json::Value stamped_meta(rapidjson::kObjectType);
  stamped_meta.AddMember("versionId", json::str(std::to_string(version), a), a);
  stamped_meta.AddMember("lastUpdated", json::str(format_instant(last_updated_us), a), a);
  for (auto& m : meta.GetObject()) stamped_meta.AddMember(m.name, m.value, a);

  json::Value out(rapidjson::kObjectType);
  out.AddMember("resourceType", doc["resourceType"], a);
  out.AddMember("id", json::str(id, a), a);
  out.AddMember("meta", stamped_meta, a);
  for (auto& m : doc.GetObject()) {
    std::string_view name(m.name.GetString(), m.name.GetStringLength());
    if (name == "resourceType" || name == "id" || name == "meta") continue;
    out.AddMember(m.name, m.value, a);
  }
  return json::to_string(out);
}

}  // namespace healthd::fhir
