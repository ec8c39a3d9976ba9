// The `settings` of a `kind: medtech` service in the config file:
//   settings:
//     device_mapping_file: mappings/devicecontent.json   # or device_mapping: '<JSON text>'
//     queue_limit: 100000
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
