// GET [base]/metadata: the CapabilityStatement, generated from what this service really does.
#include "common/time.h"
#include "fhir/search_request.h"
#include "fhir/service_impl.h"
#include "json/json.h"
#include "search/search_parameters.h"

namespace healthd::fhir {

namespace {

const char* capability_versioning(Versioning v) {
  switch (v) {
    case Versioning::Versioned: return "versioned";
    case Versioning::VersionUpdate: return "versioned-update";
    case Versioning::NoVersion: return "no-version";
  }
  return "versioned";
}

// The modifiers search answers on a parameter, as its searchParam.documentation.
const char* modifiers_supported(const search::SearchParam& p) {
  if (p.code == "_id" || p.code == "_lastUpdated") return nullptr;
  switch (p.kind) {
    case search::ParamType::String: return "Modifiers: :missing :exact :contains";
    case search::ParamType::Token:
      return "Modifiers: :missing :not :text :of-type (identifiers) :in :not-in (R4 or stored ValueSets) "
             ":above :below (CodeSystem hierarchies)";
    case search::ParamType::Reference: return "Modifiers: :missing :[type] :identifier; chains and _has";
    case search::ParamType::Uri: return "Modifiers: :missing :above :below";
    case search::ParamType::Composite: return "Modifiers: :missing; values are component$component";
    default: return "Modifiers: :missing";
  }
}

std::string build_capability(const FhirService::Impl& svc, const std::string& base_url) {
  const auto search_params = svc.search_params.current();  // custom parameters once enabled
  json::Document d(rapidjson::kObjectType);
  auto& a = d.GetAllocator();
  auto s = [&](std::string_view v) { return json::str(v, a); };
  d.AddMember("resourceType", "CapabilityStatement", a);
  d.AddMember("status", "active", a);
  d.AddMember("date", s(format_instant(now_us()).substr(0, 10)), a);
  d.AddMember("publisher", "healthd", a);
  d.AddMember("kind", "instance", a);
  json::Value software(rapidjson::kObjectType);
  software.AddMember("name", "healthd", a);
  d.AddMember("software", software, a);
  json::Value impl(rapidjson::kObjectType);
  impl.AddMember("description", s("healthd FHIR service '" + svc.name + "'"), a);
  impl.AddMember("url", s(base_url), a);
  d.AddMember("implementation", impl, a);
  d.AddMember("fhirVersion", "4.0.1", a);
  json::Value formats(rapidjson::kArrayType);
  formats.PushBack("application/fhir+json", a).PushBack("json", a);
  d.AddMember("format", formats, a);

  json::Value rest(rapidjson::kObjectType);
  rest.AddMember("mode", "server", a);
  json::Value resources(rapidjson::kArrayType);
  static const char* kTypeInteractions[] = {"read",         "vread",  "update",     "patch",           "delete",
                                            "history-instance", "history-type", "create", "search-type"};
  for (const auto& type : svc.definitions->resource_types()) {
    json::Value r(rapidjson::kObjectType);
    r.AddMember("type", s(type), a);
    json::Value inter(rapidjson::kArrayType);
    for (const char* code : kTypeInteractions) {
      json::Value i(rapidjson::kObjectType);
      i.AddMember("code", json::Value(code, a), a);
      inter.PushBack(i, a);
    }
    r.AddMember("interaction", inter, a);
    if (search_params) {
      json::Value params(rapidjson::kArrayType);
      for (const search::SearchParam* p : search_params->for_type(type)) {
        if (!searchable(*p)) continue;
        json::Value sp(rapidjson::kObjectType);
        sp.AddMember("name", s(p->code), a);
        sp.AddMember("definition", s(p->url), a);
        sp.AddMember("type", s(search::param_type_name(p->kind)), a);
        if (const char* doc = modifiers_supported(*p)) sp.AddMember("documentation", json::Value(doc, a), a);
        params.PushBack(sp, a);
      }
      r.AddMember("searchParam", params, a);
      // Every reference parameter can be included; and every type's reference parameters that
      // can point here can be revincluded ("*" says so without listing them all).
      json::Value includes(rapidjson::kArrayType);
      includes.PushBack(json::Value("*", a), a);
      for (const search::SearchParam* p : search_params->for_type(type))
        if (p->kind == search::ParamType::Reference && searchable(*p)) includes.PushBack(s(type + ":" + p->code), a);
      r.AddMember("searchInclude", includes, a);
      json::Value revincludes(rapidjson::kArrayType);
      revincludes.PushBack(json::Value("*", a), a);
      r.AddMember("searchRevInclude", revincludes, a);
    }
    r.AddMember("versioning", json::Value(capability_versioning(svc.settings.versioning_for(type)), a), a);
    r.AddMember("readHistory", true, a);
    r.AddMember("updateCreate", true, a);
    r.AddMember("conditionalCreate", true, a);
    r.AddMember("conditionalRead", "not-supported", a);
    r.AddMember("conditionalUpdate", true, a);
    r.AddMember("conditionalDelete", "multiple", a);
    resources.PushBack(r, a);
  }
  rest.AddMember("resource", resources, a);
  json::Value sys(rapidjson::kArrayType);
  json::Value hs(rapidjson::kObjectType);
  hs.AddMember("code", "history-system", a);
  sys.PushBack(hs, a);
  json::Value ss(rapidjson::kObjectType);
  ss.AddMember("code", "search-system", a);
  sys.PushBack(ss, a);
  rest.AddMember("interaction", sys, a);
  json::Value rests(rapidjson::kArrayType);
  rests.PushBack(rest, a);
  d.AddMember("rest", rests, a);
  return json::to_string(d);
}

}  // namespace

Response FhirService::Impl::capabilities(Request& req) {
  std::string body;
  {
    std::lock_guard lock(capability_mu);
    auto it = capability_by_base.find(req.base_url);
    if (it == capability_by_base.end())
      it = capability_by_base.emplace(req.base_url, build_capability(*this, req.base_url)).first;
    body = it->second;
  }
  Response r;
  set_json_body(req, r, std::move(body));
  return r;
}

}  // namespace healthd::fhir
