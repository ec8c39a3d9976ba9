// JSON answers of the management API (resource-manager shape).
#pragma once

#include <string>

#include "json/json.h"
#include "workspace/registry.h"

namespace healthd::workspace {

// {"id": "/workspaces/ws", "name", "type": "workspaces", "properties": {provisioningState, fhirServices}}
json::Value workspace_json(const WorkspaceInfo& info, json::Allocator& a);
// {"id": "/workspaces/ws/fhirservices/n", "name", "type": "workspaces/fhirservices",
//  "properties": {provisioningState, serviceUrl, ...settings}}
json::Value fhir_service_json(const FhirServiceInfo& info, const std::string& origin, json::Allocator& a);

// {"id": "/workspaces/ws/dicomservices/n", "name", "type": "workspaces/dicomservices",
//  "properties": {provisioningState, serviceUrl, ...settings}}
json::Value dicom_service_json(const DicomServiceInfo& info, const std::string& origin, json::Allocator& a);
// {"id": "/workspaces/ws/iotconnectors/n", "name", "type": "workspaces/iotconnectors",
//  "properties": {provisioningState, serviceUrl, deviceMapping, queueLimit, queueDepth, fhirDestinations}}
json::Value iot_connector_json(const IotConnectorInfo& info, const std::string& origin, json::Allocator& a);
// {"id": ".../iotconnectors/n/fhirdestinations/d", "name", "type": "workspaces/iotconnectors/fhirdestinations",
//  "properties": {provisioningState, resourceIdentityResolutionType, fhirServiceResourceId, fhirMapping}}
json::Value fhir_destination_json(const IotConnectorInfo& info, const std::string& dest, json::Allocator& a);

// The base URL clients use for a FHIR service: <origin>/<ws>/fhir/<name>.
std::string fhir_service_url(const std::string& origin, const std::string& ws, const std::string& name);

}  // namespace healthd::workspace
