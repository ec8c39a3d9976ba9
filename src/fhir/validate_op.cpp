// $validate (type and instance level) and the opt-in full validation of create/update
// (service setting profile_validation, header x-ms-profile-validation).
#include <algorithm>

#include "common/ids.h"
#include "fhir/profile_watch_store.h"
#include "fhir/value_set_catalog.h"
#include "fhir/service_impl.h"

namespace healthd::fhir {

namespace {

std::string_view sv(const json::Value& v) { return {v.GetString(), v.GetStringLength()}; }

Issue all_ok() {
  Issue i;
  i.severity = "information";
  i.code = "informational";
  i.diagnostics = "All OK";
  return i;
}

Issue problem(const char* code, std::string diagnostics, std::string expression = {}) {
  Issue i;
  i.code = code;
  i.diagnostics = std::move(diagnostics);
  if (!expression.empty()) i.expression.push_back(std::move(expression));
  return i;
}

Response answer(const Request& req, std::vector<Issue> issues) {
  if (issues.empty()) issues.push_back(all_ok());
  Response r = outcome_response(200, issues);
  set_json_body(req, r, std::move(r.body));
  return r;
}

// The value of a Parameters.parameter as text (valueUri, valueCanonical, valueCode, valueString).
std::optional<std::string> parameter_text(const json::Value& p) {
  for (const char* m : {"valueUri", "valueCanonical", "valueCode", "valueString", "valueUrl"})
    if (auto v = json::get_string(p, m)) return std::string(*v);
  return std::nullopt;
}

}  // namespace

void FhirService::Impl::init_validation() {
  profiles = std::make_shared<ProfileCache>(definitions, [this](const std::string& url) -> std::optional<std::string> {
    SearchQuery q;
    q.type = "StructureDefinition";
    q.count = 1;
    SearchClause c;
    c.param = "url";
    c.kind = IndexRow::Kind::Uri;
    SearchPredicate p;
    p.kind = SearchPredicate::Kind::Text;
    p.value = url;
    c.any_of.push_back(std::move(p));
    q.clauses.push_back(std::move(c));
    SearchPage page = store->search(q);
    if (page.entries.empty()) return std::nullopt;
    return page.entries[0].json;
  });
  store = watch_profile_writes(std::move(store), profiles);
  conformance = std::make_shared<Conformance>(definitions, ValueSetCatalog::open(definitions->dir()));
}

bool FhirService::Impl::wants_profile_validation(const Request& req) const {
  if (auto h = req.headers.get("x-ms-profile-validation")) {
    std::string v(*h);
    std::transform(v.begin(), v.end(), v.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (v == "true") return true;
    if (v == "false") return false;
  }
  return settings.profile_validation;
}

std::optional<Response> FhirService::Impl::profile_validation_failure(const Request& req, const json::Value& resource) const {
  if (!wants_profile_validation(req)) return std::nullopt;
  std::vector<Issue> issues = conformance->validate(resource, ValidationOptions{}, profiles.get());
  if (!has_errors(issues)) return std::nullopt;
  // Only what stops the write: the errors (warnings and notes are for $validate).
  issues.erase(std::remove_if(issues.begin(), issues.end(),
                              [](const Issue& i) { return i.severity != "error" && i.severity != "fatal"; }),
               issues.end());
  return outcome_response(400, issues);
}

Response FhirService::Impl::validate_operation(Request& req, const std::string& type, const std::string& id) {
  if (type.empty())
    return error(400, "not-supported", "$validate needs a resource type: POST [base]/[type]/$validate");
  ValidationOptions options;
  std::string mode;
  for (const auto& [k, v] : req.query) {
    if (k == "profile") options.profiles.push_back(v);
    if (k == "mode") mode = v;
  }

  json::Document doc;
  const json::Value* resource = nullptr;
  if (req.method == "POST" && !req.body.empty()) {
    if (auto bad = check_content_type(req)) return *bad;
    if (req.body.size() > settings.max_resource_bytes)
      return error(413, "too-costly", "The body of " + std::to_string(req.body.size()) + " bytes exceeds the limit of " +
                                          std::to_string(settings.max_resource_bytes) + " bytes");
    std::string why;
    if (!json::parse(req.body, doc, &why)) return error(400, "structure", "The body is not valid JSON: " + why);
    if (!doc.IsObject()) return error(400, "structure", "The body must be a JSON object (a resource or Parameters)");
    auto rt = json::get_string(doc, "resourceType");
    if (rt && *rt == "Parameters" && type != "Parameters") {
      // Parameters: resource, mode, profile.
      const json::Value* params = json::get_member(doc, "parameter");
      if (params && params->IsArray())
        for (const auto& p : params->GetArray()) {
          auto name = p.IsObject() ? json::get_string(p, "name") : std::nullopt;
          if (!name) continue;
          if (*name == "resource") {
            if (const json::Value* r = json::get_member(p, "resource"); r && r->IsObject()) resource = r;
          } else if (*name == "mode") {
            if (auto t = parameter_text(p)) mode = *t;
          } else if (*name == "profile") {
            if (auto t = parameter_text(p)) options.profiles.push_back(*t);
          }
        }
    } else {
      resource = &doc;
    }
  }
  if (!mode.empty() && mode != "create" && mode != "update" && mode != "delete")
    return error(400, "invalid", "mode must be create, update or delete, not '" + mode + "'", "mode");

  if (mode == "delete") {
    if (id.empty()) return error(400, "invalid", "mode=delete validates a stored resource: [type]/[id]/$validate");
    auto cur = store->current(type, id);
    if (!cur || cur->deleted())
      return answer(req, {problem("not-found", "Resource " + type + "/" + id + " is not known or already deleted")});
    return answer(req, {});
  }

  if (!resource) {
    if (id.empty())
      return error(400, "invalid", "POST a resource (or Parameters with a resource) to " + type + "/$validate");
    auto cur = store->current(type, id);
    if (!cur || cur->deleted()) return error(404, "not-found", "Resource " + type + "/" + id + " is not known");
    std::string why;
    if (!json::parse(cur->json, doc, &why)) return error(500, "exception", "The stored resource is not JSON: " + why);
    resource = &doc;
  }

  std::vector<Issue> pre;
  auto rt = json::get_string(*resource, "resourceType");
  if (rt && *rt != type)
    pre.push_back(problem("invalid", "resourceType '" + std::string(*rt) + "' does not match the URL's type '" + type + "'",
                          "resourceType"));
  auto body_id = json::get_string(*resource, "id");
  if (mode == "update") {
    if (!body_id) pre.push_back(problem("required", "An update needs the resource's id", type + ".id"));
    else if (!id.empty() && *body_id != id)
      pre.push_back(problem("invalid", "The id in the resource ('" + std::string(*body_id) + "') does not match the URL ('" +
                                           id + "')",
                            type + ".id"));
  }
  if (!id.empty() && mode.empty() && body_id && *body_id != id)
    pre.push_back(problem("invalid", "The id in the resource ('" + std::string(*body_id) + "') does not match the URL ('" +
                                         id + "')",
                          type + ".id"));
  std::vector<Issue> issues = conformance->validate(*resource, options, profiles.get());
  pre.insert(pre.end(), std::make_move_iterator(issues.begin()), std::make_move_iterator(issues.end()));
  return answer(req, std::move(pre));
}

}  // namespace healthd::fhir
