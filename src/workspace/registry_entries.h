// Internal to the registry (registry.cpp, registry_dicom.cpp): a workspace's service entries.
#pragma once

#include <map>
#include <memory>
#include <string>

#include "dicom/settings.h"
#include "workspace/registry.h"

namespace healthd::dicom {
class Store;
}

namespace healthd::workspace {

// One DICOM service. Published entries are never modified: a change publishes a new entry.
struct Registry::DicomEntry {
  dicom::DicomSettings settings;
  std::shared_ptr<dicom::Store> store;
  std::shared_ptr<dicom::DicomService> service;  // null when opening failed
  std::shared_ptr<int> in_flight = std::make_shared<int>(0);  // see FhirEntry
  std::string error;
};

struct Registry::Workspace {
  std::map<std::string, std::shared_ptr<const FhirEntry>, std::less<>> fhir;
  std::map<std::string, std::shared_ptr<const DicomEntry>, std::less<>> dicom;
};

}  // namespace healthd::workspace
