// The management API of MedTech services: /management/workspaces/{ws}/iotconnectors/{name} and
// .../iotconnectors/{name}/fhirdestinations/{dest} (PUT creates or replaces, GET, DELETE, lists).
#include "common/outcome.h"
#include "workspace/iot_settings_json.h"
#include "workspace/management_api.h"
#include "workspace/management_json.h"
#include "workspace/management_util.h"
#include "workspace/names.h"
#include "workspace/registry.h"

namespace healthd::workspace {

using namespace mgmt;

namespace {

Response connector_not_found(const std::string& ws, const std::string& name) {
  return not_found("IoT connector '" + name + "' not found in workspace '" + ws + "'");
}

}  // namespace

Response ManagementApi::iot(const Request& req, const std::string& ws, const std::vector<std::string>& seg) {
  if (seg.size() == 4) {
    if (req.method != "GET") return labelled(method_not_allowed(req, "GET"), "management.iotconnectors.list");
    auto list = registry_.iot_connectors(ws);
    if (!list) return labelled(workspace_not_found(ws), "management.iotconnectors.list");
    json::Document doc(rapidjson::kObjectType);
    auto& a = doc.GetAllocator();
    json::Value value(rapidjson::kArrayType);
    for (const auto& c : *list) value.PushBack(iot_connector_json(c, req.origin, a), a);
    doc.AddMember("value", value, a);
    return labelled(json_response(200, doc), "management.iotconnectors.list");
  }
  if (seg.size() == 5) return iot_connector(req, ws, seg[4]);
  if (seg.size() == 6 && seg[5] == "fhirdestinations") {
    const char* route = "management.fhirdestinations.list";
    if (req.method != "GET") return labelled(method_not_allowed(req, "GET"), route);
    auto info = registry_.iot_connector_info(ws, seg[4]);
    if (!info) return labelled(connector_not_found(ws, seg[4]), route);
    json::Document doc(rapidjson::kObjectType);
    auto& a = doc.GetAllocator();
    json::Value value(rapidjson::kArrayType);
    for (const auto& [dest, d] : info->settings.destinations) value.PushBack(fhir_destination_json(*info, dest, a), a);
    doc.AddMember("value", value, a);
    return labelled(json_response(200, doc), route);
  }
  if (seg.size() == 7 && seg[5] == "fhirdestinations") return fhir_destination(req, ws, seg[4], seg[6]);
  return labelled(not_found("No management resource at " + req.path), "management.notfound");
}

Response ManagementApi::iot_connector(const Request& req, const std::string& ws, const std::string& name) {
  const std::string route = verb_route("iotconnector", req);
  if (req.method != "PUT" && req.method != "GET" && req.method != "DELETE")
    return labelled(method_not_allowed(req, "GET, PUT, DELETE"), route);
  if (!is_valid_name(ws)) return labelled(bad_request(invalid_name_message("Workspace", ws)), route);
  if (!is_valid_name(name)) return labelled(bad_request(invalid_name_message("IoT connector", name)), route);
  auto answer = [&](int status) {
    auto info = registry_.iot_connector_info(ws, name);
    if (!info) return labelled(connector_not_found(ws, name), route);
    json::Document doc;
    return labelled(json_response(status, iot_connector_json(*info, req.origin, doc.GetAllocator())), route);
  };
  if (req.method == "GET") {
    if (!registry_.workspace(ws)) return labelled(workspace_not_found(ws), route);
    return answer(200);
  }
  if (req.method == "DELETE") {
    ChangeResult r = registry_.delete_iot_connector(ws, name);
    if (r.change == Change::NoWorkspace) return labelled(workspace_not_found(ws), route);
    if (r.change == Change::NoService) return labelled(connector_not_found(ws, name), route);
    Response ok;
    return labelled(ok, route);
  }
  json::Document body;
  const json::Value* properties = nullptr;
  std::optional<Response> error;
  if (!read_properties(req, body, properties, error)) return labelled(*error, route);
  medtech::ConnectorSettings settings;
  std::string why;
  if (!read_connector_properties(*properties, settings, why))
    return labelled(bad_request(why, why.substr(0, why.find(':'))), route);
  ChangeResult r = registry_.put_iot_connector(ws, name, settings);
  if (r.change == Change::NoWorkspace) return labelled(workspace_not_found(ws), route);
  if (r.change == Change::Failed) return labelled(outcome_response(500, "exception", r.message), route);
  return answer(r.change == Change::Created ? 201 : 200);
}

Response ManagementApi::fhir_destination(const Request& req, const std::string& ws, const std::string& name,
                                         const std::string& dest) {
  const std::string route = verb_route("fhirdestination", req);
  if (req.method != "PUT" && req.method != "GET" && req.method != "DELETE")
    return labelled(method_not_allowed(req, "GET, PUT, DELETE"), route);
  if (!is_valid_name(ws)) return labelled(bad_request(invalid_name_message("Workspace", ws)), route);
  if (!is_valid_name(name)) return labelled(bad_request(invalid_name_message("IoT connector", name)), route);
  if (!is_valid_name(dest)) return labelled(bad_request(invalid_name_message("FHIR destination", dest)), route);
  const auto dest_not_found = [&] {
    return not_found("FHIR destination '" + dest + "' not found in IoT connector '" + name + "'");
  };
  auto answer = [&](int status) {
    auto info = registry_.iot_connector_info(ws, name);
    if (!info) return labelled(connector_not_found(ws, name), route);
    if (!info->settings.destinations.count(dest)) return labelled(dest_not_found(), route);
    json::Document doc;
    return labelled(json_response(status, fhir_destination_json(*info, dest, doc.GetAllocator())), route);
  };
  if (req.method == "GET") {
    if (!registry_.workspace(ws)) return labelled(workspace_not_found(ws), route);
    return answer(200);
  }
  ChangeResult r;
  if (req.method == "DELETE") {
    r = registry_.delete_fhir_destination(ws, name, dest);
  } else {
    json::Document body;
    const json::Value* properties = nullptr;
    std::optional<Response> error;
    if (!read_properties(req, body, properties, error)) return labelled(*error, route);
    medtech::DestinationSettings settings;
    settings.fhir_mapping = medtech::kEmptyFhirMapping;
    std::string why;
    if (!read_destination_properties(*properties, settings, why))
      return labelled(bad_request(why, why.substr(0, why.find(':'))), route);
    r = registry_.put_fhir_destination(ws, name, dest, settings);
  }
  switch (r.change) {
    case Change::NoWorkspace: return labelled(workspace_not_found(ws), route);
    case Change::NoService: return labelled(connector_not_found(ws, name), route);
    case Change::NoDestination: return labelled(dest_not_found(), route);
    case Change::Invalid: return labelled(bad_request(r.message, "properties.fhirServiceResourceId"), route);
    case Change::Deleted: return labelled(Response{}, route);
    default: return answer(r.change == Change::Created ? 201 : 200);
  }
}

}  // namespace healthd::workspace
