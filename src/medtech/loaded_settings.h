// A connector's settings with their mappings parsed once; immutable and shared by the worker,
// the ingest route and $debug. A settings change publishes a new one (with a new version).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "medtech/connector_settings.h"
#include "medtech/device_mapping.h"
#include "medtech/fhir_mapping.h"

namespace healthd::medtech {

struct LoadedDestination {
  std::string name;
  DestinationSettings settings;
  std::shared_ptr<const FhirMapping> mapping;
};

struct LoadedSettings {
  ConnectorSettings settings;
  std::shared_ptr<const DeviceMapping> device;
  std::vector<LoadedDestination> destinations;
  uint64_t version = 0;
};

// Mappings that fail to parse load as far as they can (they were validated before being stored).
std::shared_ptr<const LoadedSettings> load_settings(const ConnectorSettings& settings, uint64_t version);

}  // namespace healthd::medtech
