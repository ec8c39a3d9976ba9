#include "workspace/management_json.h"

#include "workspace/dicom_settings_json.h"
#include "workspace/iot_settings_json.h"
#include "workspace/server_identity.h"
#include "workspace/settings_json.h"

namespace healthd::workspace {

std::string fhir_service_url(const std::string& origin, const std::string& ws, const std::string& name) {
  return origin + "/" + ws + "/fhir/" + name;
}

json::Value workspace_json(const WorkspaceInfo& info, json::Allocator& a) {
  json::Value o(rapidjson::kObjectType);
  o.AddMember("id", json::str("/workspaces/" + info.name, a), a);
  o.AddMember("name", json::str(info.name, a), a);
  o.AddMember("type", "workspaces", a);
  json::Value props(rapidjson::kObjectType);
  props.AddMember("provisioningState", "Succeeded", a);
  json::Value names(rapidjson::kArrayType);
  for (const auto& n : info.fhir_services) names.PushBack(json::str(n, a), a);
  props.AddMember("fhirServices", names, a);
  json::Value dicom_names(rapidjson::kArrayType);
  for (const auto& n : info.dicom_services) dicom_names.PushBack(json::str(n, a), a);
  props.AddMember("dicomServices", dicom_names, a);
  json::Value iot(rapidjson::kArrayType);
  for (const auto& n : info.iot_connectors) iot.PushBack(json::str(n, a), a);
  props.AddMember("iotConnectors", iot, a);
  o.AddMember("properties", props, a);
  return o;
}

json::Value fhir_service_json(const FhirServiceInfo& info, const std::string& origin, json::Allocator& a) {
  json::Value o(rapidjson::kObjectType);
  o.AddMember("id", json::str("/workspaces/" + info.workspace + "/fhirservices/" + info.name, a), a);
  o.AddMember("name", json::str(info.name, a), a);
  o.AddMember("type", "workspaces/fhirservices", a);
  json::Value props(rapidjson::kObjectType);
  props.AddMember("provisioningState", json::Value(rapidjson::StringRef(info.opened ? "Succeeded" : "Failed")), a);
  props.AddMember("serviceUrl", json::str(fhir_service_url(origin, info.workspace, info.name), a), a);
  add_settings_members(info.settings, props, a);
  o.AddMember("properties", props, a);
  return o;
}

json::Value dicom_service_json(const DicomServiceInfo& info, const std::string& origin, json::Allocator& a) {
  json::Value o(rapidjson::kObjectType);
  o.AddMember("id", json::str("/workspaces/" + info.workspace + "/dicomservices/" + info.name, a), a);
  o.AddMember("name", json::str(info.name, a), a);
  o.AddMember("type", "workspaces/dicomservices", a);
  json::Value props(rapidjson::kObjectType);
  props.AddMember("provisioningState", json::Value(rapidjson::StringRef(info.opened ? "Succeeded" : "Failed")), a);
  props.AddMember("serviceUrl", json::str(dicom_base_url(origin, info.workspace, info.name), a), a);
  add_dicom_settings_members(info.settings, props, a);
  o.AddMember("properties", props, a);
  return o;
}

json::Value iot_connector_json(const IotConnectorInfo& info, const std::string& origin, json::Allocator& a) {
  json::Value o(rapidjson::kObjectType);
  o.AddMember("id", json::str("/workspaces/" + info.workspace + "/iotconnectors/" + info.name, a), a);
  o.AddMember("name", json::str(info.name, a), a);
  o.AddMember("type", "workspaces/iotconnectors", a);
  json::Value props(rapidjson::kObjectType);
  props.AddMember("provisioningState", json::Value(rapidjson::StringRef(info.opened ? "Succeeded" : "Failed")), a);
  props.AddMember("serviceUrl", json::str(origin + "/" + info.workspace + "/medtech/" + info.name, a), a);
  add_connector_members(info.settings, props, a);
  props.AddMember("queueDepth", static_cast<uint64_t>(info.queue_depth), a);
  json::Value dests(rapidjson::kArrayType);
  for (const auto& [name, d] : info.settings.destinations) dests.PushBack(json::str(name, a), a);
  props.AddMember("fhirDestinations", dests, a);
  o.AddMember("properties", props, a);
  return o;
}

json::Value fhir_destination_json(const IotConnectorInfo& info, const std::string& dest, json::Allocator& a) {
  json::Value o(rapidjson::kObjectType);
  o.AddMember("id",
              json::str("/workspaces/" + info.workspace + "/iotconnectors/" + info.name + "/fhirdestinations/" + dest, a),
              a);
  o.AddMember("name", json::str(dest, a), a);
  o.AddMember("type", "workspaces/iotconnectors/fhirdestinations", a);
  json::Value props(rapidjson::kObjectType);
  props.AddMember("provisioningState", "Succeeded", a);
  if (auto it = info.settings.destinations.find(dest); it != info.settings.destinations.end())
    add_destination_members(it->second, props, a);
  o.AddMember("properties", props, a);
  return o;
}

}  // namespace healthd::workspace
