// Registry: the live workspaces and their services. Thread-safe: lookups take a shared lock;
// changes are serialized and swap entries in under a short exclusive lock. A looked-up service
// stays alive (and its store open) until the request holding it finishes, even if the service
// is deleted or reconfigured meanwhile.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

#include "dicom/settings.h"
#include "fhir/settings.h"
#include "medtech/connector_settings.h"
#include "workspace/config.h"

namespace healthd::fhir {
class Definitions;
class FhirService;
class Store;
}  // namespace healthd::fhir

namespace healthd::dicom {
class DicomService;
}  // namespace healthd::dicom

namespace healthd::auth {
class PatientCompartment;
}
namespace healthd::medtech {
class MedtechConnector;
}
namespace healthd::search {
class SearchParameterRegistry;
class Terminology;
}

namespace healthd::workspace {

// What every FHIR service gets from the platform's security (both may be empty in tests).
struct ServiceWiring {
  std::shared_ptr<const auth::PatientCompartment> compartment;  // SMART patient/ confinement
  std::string smart_configuration_json;                         // its /.well-known/smart-configuration
  std::shared_ptr<const search::SearchParameterRegistry> search_params;  // the R4 SearchParameters
  std::shared_ptr<const search::Terminology> terminology;  // R4 value sets and code systems
};

// A store-backed service (FHIR or DICOM) as the management API shows it.
template <class Settings>
struct ServiceInfo {
  std::string workspace;
  std::string name;
  Settings settings;
  bool opened = false;  // false: its store failed to open (see error)
  std::string error;
};
using FhirServiceInfo = ServiceInfo<fhir::ServiceSettings>;
using DicomServiceInfo = ServiceInfo<dicom::DicomSettings>;

struct IotConnectorInfo {
  std::string workspace;
  std::string name;
  medtech::ConnectorSettings settings;  // destinations included
  size_t queue_depth = 0;
  bool opened = false;  // false: its queue failed to open (see error)
  std::string error;
};

struct WorkspaceInfo {
  std::string name;
  std::vector<std::string> fhir_services;   // sorted
  std::vector<std::string> dicom_services;  // sorted
  std::vector<std::string> iot_connectors;  // sorted
};

// What a change did (or why it did nothing).
enum class Change { Created, Updated, Deleted, NoWorkspace, NoService, NoDestination, HasServices, Invalid, Failed };

struct ChangeResult {
  Change change;
  std::string message;  // for HasServices / Failed
};

// A store-backed service found for a request.
template <class Service>
struct ServiceLookup {
  bool workspace_found = false;
  bool service_found = false;
  std::shared_ptr<Service> service;  // null when not found or failed to open
  std::string error;                 // why it failed to open
};
using FhirLookup = ServiceLookup<fhir::FhirService>;
using DicomLookup = ServiceLookup<dicom::DicomService>;

// A MedTech service (IoT connector) found for a request.
struct IotLookup {
  bool workspace_found = false;
  bool connector_found = false;
  std::shared_ptr<medtech::MedtechConnector> connector;  // null when not found or failed to open
  std::string error;
};

class Registry {
 public:
  Registry(std::string data_dir, StoreConfig store, std::shared_ptr<const fhir::Definitions> definitions,
           ServiceWiring wiring = {});
  ~Registry();
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;

  // Loads <data>/management.json, then makes sure the declared workspaces and services exist
  // (declared settings win) and opens every service. A service that fails to open is kept,
  // marked failed (ready() is false). Throws when management.json cannot be read or written.
  void open(const std::vector<WorkspaceConfig>& declared);
  // Closes every service. Idempotent.
  void close();
  // True once opened and every service opened.
  bool ready() const;

  std::vector<WorkspaceInfo> workspaces() const;
  std::optional<WorkspaceInfo> workspace(std::string_view name) const;
  // nullopt when the workspace does not exist.
  std::optional<std::vector<FhirServiceInfo>> fhir_services(std::string_view ws) const;
  std::optional<FhirServiceInfo> fhir_service_info(std::string_view ws, std::string_view name) const;

  ChangeResult put_workspace(const std::string& ws);       // Created | Updated
  ChangeResult delete_workspace(const std::string& ws);    // Deleted | NoWorkspace | HasServices
  // Created | Updated (settings replaced, data kept) | NoWorkspace | Failed
  ChangeResult put_fhir_service(const std::string& ws, const std::string& name, const fhir::ServiceSettings& settings);
  // Deleted (service closed, its data directory removed) | NoWorkspace | NoService
  ChangeResult delete_fhir_service(const std::string& ws, const std::string& name);

  FhirLookup fhir_service(std::string_view ws, std::string_view name) const;

  // <data>/workspaces/<ws>/fhirservices/<name>
  std::string fhir_service_dir(const std::string& ws, const std::string& name) const;

  // DICOM services (registry_dicom.cpp), the same way: each with its own store under
  // <data>/workspaces/<ws>/dicomservices/<name>.
  std::optional<std::vector<DicomServiceInfo>> dicom_services(std::string_view ws) const;
  std::optional<DicomServiceInfo> dicom_service_info(std::string_view ws, std::string_view name) const;
  ChangeResult put_dicom_service(const std::string& ws, const std::string& name, const dicom::DicomSettings& settings);
  ChangeResult delete_dicom_service(const std::string& ws, const std::string& name);
  DicomLookup dicom_service(std::string_view ws, std::string_view name) const;
  std::string dicom_service_dir(const std::string& ws, const std::string& name) const;

  // MedTech services (IoT connectors), in registry_iot.cpp. Each has a durable queue in
  // <data>/workspaces/<ws>/iotconnectors/<name>/queue.db and a worker writing into the FHIR
  // services its destinations name (looked up at each write, so they can come and go).
  std::optional<std::vector<IotConnectorInfo>> iot_connectors(std::string_view ws) const;
  std::optional<IotConnectorInfo> iot_connector_info(std::string_view ws, std::string_view name) const;
  // Created | Updated (device mapping and queue limit replaced; destinations and queue kept) |
  // NoWorkspace | Failed. `settings.destinations` is ignored.
  ChangeResult put_iot_connector(const std::string& ws, const std::string& name, const medtech::ConnectorSettings& settings);
  // Deleted (worker stopped, queue and dead letters removed) | NoWorkspace | NoService
  ChangeResult delete_iot_connector(const std::string& ws, const std::string& name);
  // Created | Updated | NoWorkspace | NoService (no such connector) | Invalid (no such FHIR service)
  ChangeResult put_fhir_destination(const std::string& ws, const std::string& name, const std::string& dest,
                                    const medtech::DestinationSettings& settings);
  // Deleted | NoWorkspace | NoService | NoDestination
  ChangeResult delete_fhir_destination(const std::string& ws, const std::string& name, const std::string& dest);
  IotLookup iot_connector(std::string_view ws, std::string_view name) const;
  std::string iot_connector_dir(const std::string& ws, const std::string& name) const;

 private:
  struct FhirEntry;
  struct DicomEntry;
  struct IotEntry;
  struct Workspace;
  // FHIR and DICOM services are handled by the same code (registry_services.h) through their kind.
  template <class Entry>
  struct StoreBacked;
  static const StoreBacked<FhirEntry>& fhir_kind();
  static const StoreBacked<DicomEntry>& dicom_kind();
  template <class Entry>
  auto list_services(const StoreBacked<Entry>& kind, std::string_view ws) const;
  template <class Entry>
  auto service_info(const StoreBacked<Entry>& kind, std::string_view ws, std::string_view name) const;
  template <class Entry, class Settings>
  ChangeResult put_service(const StoreBacked<Entry>& kind, const std::string& ws, const std::string& name,
                           const Settings& settings);
  template <class Entry>
  ChangeResult delete_service(const StoreBacked<Entry>& kind, const std::string& ws, const std::string& name);
  template <class Entry>
  auto lookup_service(const StoreBacked<Entry>& kind, std::string_view ws, std::string_view name) const;

  void open_fhir_entry(const std::string& ws, const std::string& name, FhirEntry& entry);
  void open_dicom_entry(const std::string& ws, const std::string& name, DicomEntry& entry);
  void open_iot_entry(const std::string& ws, const std::string& name, IotEntry& entry);
  static void close_iot_entry(IotEntry& entry);
  ChangeResult change_iot_settings(const std::string& ws, const std::string& name,
                                   const std::function<ChangeResult(medtech::ConnectorSettings&)>& edit);

  void save();

  std::string data_dir_;
  StoreConfig store_config_;
  std::shared_ptr<const fhir::Definitions> definitions_;
  ServiceWiring wiring_;

  mutable std::shared_mutex map_mutex_;  // guards workspaces_ and open_
  std::mutex change_mutex_;              // one change at a time (also guards management.json)
  std::map<std::string, std::shared_ptr<Workspace>, std::less<>> workspaces_;
  bool open_ = false;
};

}  // namespace healthd::workspace
