#include "workspace/management_json.h"

#include "workspace/dicom_settings_json.h"
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

}  // namespace healthd::workspace
