#include "workspace/management_api.h"

#include <exception>
#include <functional>
#include <optional>
#include <initializer_list>

#include "common/outcome.h"
#include "fhir/definitions.h"
#include "json/json.h"
#include "workspace/dicom_settings_json.h"
#include "workspace/management_json.h"
#include "workspace/management_util.h"
#include "workspace/names.h"
#include "workspace/registry.h"
#include "workspace/settings_json.h"

namespace healthd::workspace {

namespace mgmt {

Response labelled(Response r, const std::string& route) {
  r.service = "management";
  r.route = route;
  return r;
}

Response json_response(int status, const json::Value& body) {
  Response r;
  r.status = status;
  r.headers.set("Content-Type", "application/json; charset=utf-8");
  r.body = json::to_string(body);
  return r;
}

Response method_not_allowed(const Request& req, const char* allow) {
  Response r = outcome_response(405, "not-supported", "Method " + req.method + " is not allowed on " + req.path +
                                                          " (allowed: " + allow + ")");
  r.headers.set("Allow", allow);
  return r;
}

Response not_found(std::string message) { return outcome_response(404, "not-found", std::move(message)); }

Response workspace_not_found(const std::string& ws) { return not_found("Workspace '" + ws + "' not found"); }

Response bad_request(std::string message, std::string expression) {
  return outcome_response(400, "invalid", std::move(message), std::move(expression));
}

// Members of a resource-manager request body besides `properties`, accepted and ignored.
bool is_envelope_member(std::string_view name) {
  for (const char* m : {"id", "name", "type", "location", "tags", "etag", "kind", "identity", "systemData"})
    if (name == m) return true;
  return false;
}

// Parses an optional {"properties": {...}} body. Returns the properties (an empty object when
// absent) or sets `error` to a 400 response.
bool read_properties(const Request& req, json::Document& doc, const json::Value*& properties,
                     std::optional<Response>& error) {
  static const json::Value kEmpty(rapidjson::kObjectType);
  properties = &kEmpty;
  if (req.body.find_first_not_of(" \t\r\n") == std::string::npos) return true;
  std::string why;
  if (!json::parse(req.body, doc, &why)) {
    error = bad_request("Request body is not valid JSON: " + why);
    return false;
  }
  if (!doc.IsObject()) {
    error = bad_request("Request body must be a JSON object");
    return false;
  }
  for (const auto& m : doc.GetObject()) {
    std::string_view name(m.name.GetString(), m.name.GetStringLength());
    if (name == "properties") {
      if (!m.value.IsObject()) {
        error = bad_request("properties: must be an object", "properties");
        return false;
      }
      properties = &m.value;
    } else if (!is_envelope_member(name)) {
      error = bad_request(std::string(name) + ": unknown member of the request body", std::string(name));
      return false;
    }
  }
  return true;
}

std::string verb_route(const std::string& what, const Request& req) {
  return "management." + what + "." +
         (req.method == "PUT" ? "put" : req.method == "GET" ? "get" : req.method == "DELETE" ? "delete" : "other");
}

}  // namespace mgmt

using namespace mgmt;

ManagementApi::ManagementApi(Registry& registry, std::shared_ptr<const fhir::Definitions> definitions)
    : registry_(registry), definitions_(std::move(definitions)) {}

Response ManagementApi::handle(const Request& req, const std::vector<std::string>& seg) {
  try {
    if (seg.size() >= 2 && seg[1] == "workspaces") {
      if (seg.size() == 2) return labelled(workspaces_list(req), "management.workspaces.list");
      const std::string& ws = seg[2];
      if (seg.size() == 3) return workspace(req, ws);
      const std::string& kind = seg[3];
      if (kind == "dicomservices" && seg.size() == 4)
        return labelled(dicom_services_list(req, ws), "management.dicomservices.list");
      if (kind == "dicomservices" && seg.size() == 5) return dicom_service(req, ws, seg[4]);
      if (kind == "iotconnectors") return iot(req, ws, seg);
      if (kind == "fhirservices" && seg.size() == 4)
        return labelled(fhir_services_list(req, ws), "management.fhirservices.list");
      if (kind == "fhirservices" && seg.size() == 5) return fhir_service(req, ws, seg[4]);
    }
    return labelled(not_found("No management resource at " + req.path), "management.notfound");
  } catch (const std::exception& e) {
    return labelled(outcome_response(500, "exception", std::string("Management request failed: ") + e.what()),
                    "management.error");
  }
}

Response ManagementApi::workspaces_list(const Request& req) {
  if (req.method != "GET") return method_not_allowed(req, "GET");
  json::Document doc(rapidjson::kObjectType);
  auto& a = doc.GetAllocator();
  json::Value list(rapidjson::kArrayType);
  for (const auto& w : registry_.workspaces()) list.PushBack(workspace_json(w, a), a);
  doc.AddMember("value", list, a);
  return json_response(200, doc);
}

Response ManagementApi::workspace(const Request& req, const std::string& ws) {
  const std::string route = verb_route("workspace", req);
  if (req.method != "PUT" && req.method != "GET" && req.method != "DELETE")
    return labelled(method_not_allowed(req, "GET, PUT, DELETE"), route);
  if (!is_valid_name(ws)) return labelled(bad_request(invalid_name_message("Workspace", ws)), route);

  if (req.method == "GET") {
    auto info = registry_.workspace(ws);
    if (!info) return labelled(workspace_not_found(ws), route);
    json::Document doc;
    return labelled(json_response(200, workspace_json(*info, doc.GetAllocator())), route);
  }
  if (req.method == "DELETE") {
    ChangeResult r = registry_.delete_workspace(ws);
    if (r.change == Change::NoWorkspace) return labelled(workspace_not_found(ws), route);
    if (r.change == Change::HasServices) return labelled(outcome_response(409, "conflict", r.message), route);
    Response ok;
    ok.status = 200;
    return labelled(ok, route);
  }
  // PUT
  json::Document body;
  const json::Value* properties = nullptr;
  std::optional<Response> error;
  if (!read_properties(req, body, properties, error)) return labelled(*error, route);
  for (const auto& m : properties->GetObject()) {
    std::string_view name(m.name.GetString(), m.name.GetStringLength());
    if (name != "provisioningState" && name != "fhirServices" && name != "dicomServices")  // read-only: ignored
      return labelled(bad_request("properties." + std::string(name) + ": unknown property of a workspace",
                                  "properties." + std::string(name)),
                      route);
  }
  ChangeResult r = registry_.put_workspace(ws);
  auto info = registry_.workspace(ws);
  if (!info) return labelled(workspace_not_found(ws), route);
  json::Document doc;
  return labelled(json_response(r.change == Change::Created ? 201 : 200, workspace_json(*info, doc.GetAllocator())),
                  route);
}

namespace {

// One kind of store-backed service (FHIR, DICOM) as the management API serves it: the list,
// GET, PUT and DELETE handlers below are written once for both kinds.
template <class Info, class Settings>
struct ServiceResource {
  std::string what;   // route part: "fhirservice"
  std::string label;  // "FHIR service"
  std::function<std::optional<std::vector<Info>>(const std::string& ws)> list;
  std::function<std::optional<Info>(const std::string& ws, const std::string& name)> info;
  std::function<ChangeResult(const std::string& ws, const std::string& name, const Settings&)> put;
  std::function<ChangeResult(const std::string& ws, const std::string& name)> remove;
  // Reads PUT properties into settings; false with `why` ("<property>: reason").
  std::function<bool(const json::Value& properties, Settings& settings, std::string& why)> read;
  std::function<json::Value(const Info&, const std::string& origin, json::Allocator&)> to_json;
};

template <class Info, class Settings>
Response list_services(const ServiceResource<Info, Settings>& kind, const Request& req, const std::string& ws) {
  if (req.method != "GET") return method_not_allowed(req, "GET");
  auto services = kind.list(ws);
  if (!services) return workspace_not_found(ws);
  json::Document doc(rapidjson::kObjectType);
  auto& a = doc.GetAllocator();
  json::Value list(rapidjson::kArrayType);
  for (const auto& s : *services) list.PushBack(kind.to_json(s, req.origin, a), a);
  doc.AddMember("value", list, a);
  return json_response(200, doc);
}

template <class Info, class Settings>
Response serve_service(const ServiceResource<Info, Settings>& kind, const Registry& registry, const Request& req,
                       const std::string& ws, const std::string& name) {
  const std::string route = verb_route(kind.what, req);
  if (req.method != "PUT" && req.method != "GET" && req.method != "DELETE")
    return labelled(method_not_allowed(req, "GET, PUT, DELETE"), route);
  if (!is_valid_name(ws)) return labelled(bad_request(invalid_name_message("Workspace", ws)), route);
  if (!is_valid_name(name)) return labelled(bad_request(invalid_name_message(kind.label, name)), route);
  const auto service_not_found = [&] {
    return not_found(kind.label + " '" + name + "' not found in workspace '" + ws + "'");
  };

  if (req.method == "GET") {
    auto info = kind.info(ws, name);
    if (!info) return labelled(registry.workspace(ws) ? service_not_found() : workspace_not_found(ws), route);
    json::Document doc;
    return labelled(json_response(200, kind.to_json(*info, req.origin, doc.GetAllocator())), route);
  }
  if (req.method == "DELETE") {
    ChangeResult r = kind.remove(ws, name);
    if (r.change == Change::NoWorkspace) return labelled(workspace_not_found(ws), route);
    if (r.change == Change::NoService) return labelled(service_not_found(), route);
    Response ok;
    ok.status = 200;
    return labelled(ok, route);
  }
  // PUT: the body's properties replace the settings (absent ones take their defaults).
  json::Document body;
  const json::Value* properties = nullptr;
  std::optional<Response> error;
  if (!read_properties(req, body, properties, error)) return labelled(*error, route);
  Settings settings;
  std::string why;
  if (!kind.read(*properties, settings, why)) return labelled(bad_request(why, why.substr(0, why.find(':'))), route);
  ChangeResult r = kind.put(ws, name, settings);
  if (r.change == Change::NoWorkspace) return labelled(workspace_not_found(ws), route);
  if (r.change == Change::Failed) return labelled(outcome_response(500, "exception", r.message), route);
  auto info = kind.info(ws, name);
  if (!info) return labelled(service_not_found(), route);
  json::Document doc;
  return labelled(json_response(r.change == Change::Created ? 201 : 200,
                                kind.to_json(*info, req.origin, doc.GetAllocator())),
                  route);
}

ServiceResource<FhirServiceInfo, fhir::ServiceSettings> fhir_resource(
    Registry& registry, const std::shared_ptr<const fhir::Definitions>& definitions) {
  std::function<bool(std::string_view)> is_type;
  if (definitions) is_type = [d = definitions](std::string_view t) { return d->is_resource_type(t); };
  Registry* r = &registry;
  return {"fhirservice",
          "FHIR service",
          [r](const std::string& ws) { return r->fhir_services(ws); },
          [r](const std::string& ws, const std::string& n) { return r->fhir_service_info(ws, n); },
          [r](const std::string& ws, const std::string& n, const fhir::ServiceSettings& s) {
            return r->put_fhir_service(ws, n, s);
          },
          [r](const std::string& ws, const std::string& n) { return r->delete_fhir_service(ws, n); },
          [is_type](const json::Value& p, fhir::ServiceSettings& s, std::string& why) {
            return read_settings(p, s, why, is_type);
          },
          fhir_service_json};
}

ServiceResource<DicomServiceInfo, dicom::DicomSettings> dicom_resource(Registry& registry) {
  Registry* r = &registry;
  return {"dicomservice",
          "DICOM service",
          [r](const std::string& ws) { return r->dicom_services(ws); },
          [r](const std::string& ws, const std::string& n) { return r->dicom_service_info(ws, n); },
          [r](const std::string& ws, const std::string& n, const dicom::DicomSettings& s) {
            return r->put_dicom_service(ws, n, s);
          },
          [r](const std::string& ws, const std::string& n) { return r->delete_dicom_service(ws, n); },
          read_dicom_settings,
          dicom_service_json};
}

}  // namespace

Response ManagementApi::fhir_services_list(const Request& req, const std::string& ws) {
  return list_services(fhir_resource(registry_, definitions_), req, ws);
}

Response ManagementApi::fhir_service(const Request& req, const std::string& ws, const std::string& name) {
  return serve_service(fhir_resource(registry_, definitions_), registry_, req, ws, name);
}

Response ManagementApi::dicom_services_list(const Request& req, const std::string& ws) {
  return list_services(dicom_resource(registry_), req, ws);
}

Response ManagementApi::dicom_service(const Request& req, const std::string& ws, const std::string& name) {
  return serve_service(dicom_resource(registry_), registry_, req, ws, name);
}

}  // namespace healthd::workspace
