// MedTech service (IoT connector) and FHIR destination settings <-> the JSON of the management
// API and of management.json, with mapping validation (line, column, JSON pointer, reason).
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "json/json.h"
#include "medtech/connector_settings.h"

namespace healthd::workspace {

// nullopt when the mapping text loads without errors; else every error, "; "-separated, each
// "line L, column C (/pointer): reason".
std::optional<std::string> device_mapping_problem(std::string_view text);
std::optional<std::string> fhir_mapping_problem(std::string_view text);

// {"deviceMapping": {"content": <mapping>}, "queueLimit": n,
//  "ingestionEndpointConfiguration": {"mqtt": {"host", "port", "topics", "qos", "clientId",
//                                              "username", "password", "keepAliveSeconds"}}}
// (read-only members ignored; see medtech/mqtt_settings.h). The
// content may be the mapping itself or a string holding its JSON text (line/column then refer to
// that text; for an object, to its re-printed form with 4-space indents). Destinations are not
// read here (they have their own resource). False with `why` ("properties.x: ...").
bool read_connector_properties(const json::Value& properties, medtech::ConnectorSettings& out, std::string& why);
// {"resourceIdentityResolutionType": "Create"|"Lookup", "fhirServiceResourceId": "<name>",
//  "fhirMapping": {"content": <mapping>}}; fhirServiceResourceId is required.
bool read_destination_properties(const json::Value& properties, medtech::DestinationSettings& out, std::string& why);

// The MQTT password is write-only: written only `with_secrets` (management.json), never in answers.
void add_connector_members(const medtech::ConnectorSettings& s, json::Value& properties, json::Allocator& a,
                           bool with_secrets = false);
void add_destination_members(const medtech::DestinationSettings& s, json::Value& properties, json::Allocator& a);

}  // namespace healthd::workspace
