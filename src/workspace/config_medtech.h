// The `settings` of a `kind: medtech` service in the config file:
//   settings:
//     device_mapping_file: mappings/devicecontent.json   # or device_mapping: '<JSON text>'
//     queue_limit: 100000
//     mqtt:                                              # optional: MQTT ingest (medtech/mqtt_settings.h)
//       host: 127.0.0.1
//       port: 1883
//       topics: [devices/+/telemetry]
//       qos: 1                                           # or 0
//       client_id: healthd-ws-name                       # default healthd-<workspace>-<name>
//       username: u                                      # optional, with password
//       password: p
//       keep_alive_seconds: 60
//     destinations:
//       - name: default
//         fhir_service: default                          # a FHIR service of the same workspace
//         resolution: Create                             # or Lookup (default)
//         fhir_mapping_file: mappings/fhirmapping.json   # or fhir_mapping: '<JSON text>'
// Mappings are validated at load; errors name the key and the mapping's line and column.
#pragma once

#include <string>

#include <yaml-cpp/yaml.h>

#include "medtech/connector_settings.h"

namespace healthd::workspace {

// `node` may be null (empty mappings, no destination). Throws std::runtime_error ("config: <key>: ...").
void parse_medtech_settings(const YAML::Node& node, const std::string& path, medtech::ConnectorSettings& out);

}  // namespace healthd::workspace
