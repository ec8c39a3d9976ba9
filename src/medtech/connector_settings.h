// The settings of one MedTech service (the cloud's "IoT connector") and of its FHIR destinations,
// as the management API and the config file give them. Mappings are kept as JSON text; they
// were validated (DeviceMapping::parse / FhirMapping::parse) before being accepted.
#pragma once

#include <cstddef>
#include <map>
#include <string>

#include "medtech/mqtt_settings.h"

namespace healthd::medtech {

// How the Patient and Device of a measurement are found (see identity.h).
enum class ResolutionType { Lookup, Create };
const char* to_string(ResolutionType t);  // "Lookup" / "Create"

struct DestinationSettings {
  ResolutionType resolution = ResolutionType::Lookup;
  std::string fhir_service;  // name of a FHIR service in the same workspace
  std::string fhir_mapping;  // CollectionFhir JSON text
  bool operator==(const DestinationSettings&) const = default;
};

// An empty mapping: accepted, matches nothing.
inline constexpr const char* kEmptyDeviceMapping = R"({"templateType":"CollectionContent","template":[]})";
inline constexpr const char* kEmptyFhirMapping = R"({"templateType":"CollectionFhir","template":[]})";

struct ConnectorSettings {
  std::string device_mapping = kEmptyDeviceMapping;  // CollectionContent JSON text
  size_t queue_limit = 100000;                        // messages waiting; more are answered 429
  MqttSettings mqtt;                                  // MQTT ingest (disabled when mqtt.host is empty)
  std::map<std::string, DestinationSettings> destinations;  // by destination name
  bool operator==(const ConnectorSettings&) const = default;
};

}  // namespace healthd::medtech
