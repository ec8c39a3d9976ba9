#include "medtech/loaded_settings.h"

namespace healthd::medtech {

const char* to_string(ResolutionType t) { return t == ResolutionType::Create ? "Create" : "Lookup"; }

std::shared_ptr<const LoadedSettings> load_settings(const ConnectorSettings& settings, uint64_t version) {
  auto out = std::make_shared<LoadedSettings>();
  out->settings = settings;
  out->version = version;
  out->device = DeviceMapping::parse(settings.device_mapping).mapping;
  if (!out->device) out->device = DeviceMapping::parse(kEmptyDeviceMapping).mapping;
  for (const auto& [name, d] : settings.destinations) {
    auto mapping = FhirMapping::parse(d.fhir_mapping).mapping;
    if (!mapping) mapping = FhirMapping::parse(kEmptyFhirMapping).mapping;
    out->destinations.push_back({name, d, std::move(mapping)});
  }
  return out;
}

}  // namespace healthd::medtech
