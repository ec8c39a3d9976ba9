// The registry's entries (private to registry.cpp, registry_dicom.cpp and registry_iot.cpp).
#pragma once

#include <map>
#include <memory>
#include <string>

#include "dicom/settings.h"
#include "fhir/settings.h"
#include "medtech/connector_settings.h"
#include "workspace/registry.h"

namespace healthd::fhir {
class Store;
}

namespace healthd::dicom {
class Store;
}

namespace healthd::workspace {

// One FHIR service. Published entries are never modified: a change publishes a new entry.
struct Registry::FhirEntry {
  using Service = fhir::FhirService;
  using Info = FhirServiceInfo;
  fhir::ServiceSettings settings;
  std::shared_ptr<fhir::Store> store;
  std::shared_ptr<fhir::FhirService> service;  // null when opening failed
  // Every request holding this service holds a copy; shared by the entries that replace this
  // one on a settings change (they share the store), so it expires when the store is unused.
  std::shared_ptr<int> in_flight = std::make_shared<int>(0);
  std::string error;
};

// One DICOM service. Published entries are never modified: a change publishes a new entry.
struct Registry::DicomEntry {
  using Service = dicom::DicomService;
  using Info = DicomServiceInfo;
  dicom::DicomSettings settings;
  std::shared_ptr<dicom::Store> store;
  std::shared_ptr<dicom::DicomService> service;  // null when opening failed
  std::shared_ptr<int> in_flight = std::make_shared<int>(0);  // see FhirEntry
  std::string error;
};

// One MedTech service. `settings` changes (under the exclusive map lock) without replacing the
// entry; the connector is told of each change.
struct Registry::IotEntry {
  medtech::ConnectorSettings settings;
  std::shared_ptr<medtech::MedtechConnector> connector;  // null when its queue failed to open
  std::string error;
};

struct Registry::Workspace {
  std::map<std::string, std::shared_ptr<const FhirEntry>, std::less<>> fhir;
  std::map<std::string, std::shared_ptr<const DicomEntry>, std::less<>> dicom;
  std::map<std::string, std::shared_ptr<IotEntry>, std::less<>> iot;
};

}  // namespace healthd::workspace
