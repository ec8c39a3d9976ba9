#include "workspace/registry.h"

#include <spdlog/spdlog.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include "fhir/service.h"
#include "fhir/store.h"
#include "medtech/connector.h"
#include "storage/sqlite_fhir_store.h"
#include "workspace/management_file.h"
#include "workspace/registry_entries.h"

namespace healthd::workspace {

namespace fs = std::filesystem;

namespace {

// How long a delete waits for requests still using the service before closing it anyway.
constexpr auto kDrainTimeout = std::chrono::seconds(30);

std::string qualified(const std::string& ws, const std::string& name) { return ws + "/fhir/" + name; }

}  // namespace

Registry::Registry(std::string data_dir, StoreConfig store, std::shared_ptr<const fhir::Definitions> definitions,
                   ServiceWiring wiring)
    : data_dir_(std::move(data_dir)),
      store_config_(store),
      definitions_(std::move(definitions)),
      wiring_(std::move(wiring)) {}

Registry::~Registry() { close(); }

std::string Registry::fhir_service_dir(const std::string& ws, const std::string& name) const {
  return (fs::path(data_dir_) / "workspaces" / ws / "fhirservices" / name).string();
}

void Registry::open_entry(const std::string& ws, const std::string& name, FhirEntry& entry) {
  const bool store_given = entry.store != nullptr;  // shared with a live entry: never close it here
  try {
    const std::string dir = fhir_service_dir(ws, name);
    fs::create_directories(dir);
    if (!entry.store) {
      storage::SqliteStoreOptions options;
      options.path = (fs::path(dir) / "fhir.db").string();
      options.synchronous_full = store_config_.synchronous_full;
      options.max_batch = store_config_.max_batch;
      options.cache_mb = store_config_.cache_mb;
      options.wal_autocheckpoint_pages = store_config_.wal_autocheckpoint_pages;
      options.compress_threshold = store_config_.compress_threshold;
      options.read_connections = store_config_.read_connections;
      options.metrics_label = qualified(ws, name);
      entry.store = storage::open_sqlite_fhir_store(options);
    }
    entry.service = std::make_shared<fhir::FhirService>(qualified(ws, name), entry.settings, entry.store, definitions_,
                                                        wiring_.compartment, wiring_.search_params);
    if (!wiring_.smart_configuration_json.empty())
      entry.service->set_smart_configuration(wiring_.smart_configuration_json);
    if (wiring_.terminology) entry.service->set_terminology(wiring_.terminology);
    entry.error.clear();
  } catch (const std::exception& e) {
    entry.service.reset();
    if (entry.store && !store_given) entry.store->close();
    if (!store_given) entry.store.reset();
    entry.error = e.what();
    spdlog::error("FHIR service {} failed to open: {}", qualified(ws, name), entry.error);
  }
}

// Waits (bounded) for requests still using the entry's store, then closes it.
// The caller hands over the only reference the registry held.
void Registry::retire_entry(std::shared_ptr<const FhirEntry> retiring) {
  FhirEntry entry = *retiring;
  retiring.reset();
  std::weak_ptr<int> in_flight = entry.in_flight;
  entry.in_flight.reset();
  const auto deadline = std::chrono::steady_clock::now() + kDrainTimeout;
  while (!in_flight.expired() && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  if (!in_flight.expired()) spdlog::warn("closing a FHIR service still in use after {}s", kDrainTimeout.count());
  if (entry.service) entry.service->close();
  else if (entry.store) entry.store->close();
  entry.service.reset();
  entry.store.reset();
}

void Registry::save() {
  ManagementState state;
  {
    std::shared_lock lock(map_mutex_);
    for (const auto& [ws_name, ws] : workspaces_) {
      SavedWorkspace saved;
      saved.name = ws_name;
      for (const auto& [name, entry] : ws->fhir) saved.fhir_services.push_back({name, entry->settings});
      for (const auto& [name, entry] : ws->dicom) saved.dicom_services.push_back({name, entry->settings});
      for (const auto& [name, entry] : ws->iot) saved.iot_connectors.push_back({name, entry->settings});
      state.workspaces.push_back(std::move(saved));
    }
  }
  write_management_file((fs::path(data_dir_) / "management.json").string(), state);
}

void Registry::open(const std::vector<WorkspaceConfig>& declared) {
  std::lock_guard change(change_mutex_);
  fs::create_directories(data_dir_);
  ManagementState saved = read_management_file((fs::path(data_dir_) / "management.json").string());

  // Saved state first, then what the config declares (its settings win).
  std::map<std::string, std::map<std::string, fhir::ServiceSettings>> wanted;
  std::map<std::string, std::map<std::string, dicom::DicomSettings>> wanted_dicom;
  std::map<std::string, std::map<std::string, medtech::ConnectorSettings>> wanted_iot;
  for (const auto& w : saved.workspaces) {
    auto& services = wanted[w.name];
    for (const auto& s : w.fhir_services) services[s.name] = s.settings;
    for (const auto& s : w.dicom_services) wanted_dicom[w.name][s.name] = s.settings;
    for (const auto& c : w.iot_connectors) wanted_iot[w.name][c.name] = c.settings;
  }
  for (const auto& w : declared) {
    auto& services = wanted[w.name];
    for (const auto& s : w.services) {
      if (s.kind == ServiceKind::Fhir) services[s.name] = s.fhir;
      else if (s.kind == ServiceKind::Dicom) wanted_dicom[w.name][s.name] = s.dicom;
      else if (s.kind == ServiceKind::Medtech && (!s.ensure_only || !wanted_iot[w.name].count(s.name)))
        wanted_iot[w.name][s.name] = s.medtech;
    }
  }

  std::map<std::string, std::shared_ptr<Workspace>, std::less<>> built;
  for (const auto& [ws_name, services] : wanted) {
    auto ws = std::make_shared<Workspace>();
    for (const auto& [name, settings] : services) {
      auto entry = std::make_shared<FhirEntry>();
      entry->settings = settings;
      open_entry(ws_name, name, *entry);
      ws->fhir.emplace(name, std::move(entry));
    }
    for (const auto& [name, settings] : wanted_dicom[ws_name]) {
      auto entry = std::make_shared<DicomEntry>();
      entry->settings = settings;
      open_dicom_entry(ws_name, name, *entry);
      ws->dicom.emplace(name, std::move(entry));
    }
    built.emplace(ws_name, std::move(ws));
  }
  {
    // Published before the connectors start: their workers look the FHIR services up.
    std::unique_lock lock(map_mutex_);
    workspaces_ = built;
    open_ = true;
  }
  for (const auto& [ws_name, connectors] : wanted_iot) {
    auto& ws = built[ws_name];
    for (const auto& [name, settings] : connectors) {
      auto entry = std::make_shared<IotEntry>();
      entry->settings = settings;
      open_iot_entry(ws_name, name, *entry);
      std::unique_lock lock(map_mutex_);
      ws->iot.emplace(name, std::move(entry));
    }
  }
  {
    std::unique_lock lock(map_mutex_);
    workspaces_ = std::move(built);
  }
  save();
}

void Registry::close() {
  std::lock_guard change(change_mutex_);
  std::map<std::string, std::shared_ptr<Workspace>, std::less<>> closing;
  {
    std::unique_lock lock(map_mutex_);
    closing.swap(workspaces_);
    open_ = false;
  }
  for (auto& [ws_name, ws] : closing)
    for (auto& [name, entry] : ws->iot) close_iot_entry(*entry);
  for (auto& [ws_name, ws] : closing) {
    for (auto& [name, entry] : ws->fhir) retire_entry(std::move(entry));
    for (auto& [name, entry] : ws->dicom) retire_dicom_entry(std::move(entry));
  }
}

bool Registry::ready() const {
  std::shared_lock lock(map_mutex_);
  if (!open_) return false;
  for (const auto& [ws_name, ws] : workspaces_) {
    for (const auto& [name, entry] : ws->fhir)
      if (!entry->service) return false;
    for (const auto& [name, entry] : ws->dicom)
      if (!entry->service) return false;
    for (const auto& [name, entry] : ws->iot)
      if (!entry->connector) return false;
  }
  return true;
}

std::vector<WorkspaceInfo> Registry::workspaces() const {
  std::shared_lock lock(map_mutex_);
  std::vector<WorkspaceInfo> out;
  for (const auto& [ws_name, ws] : workspaces_) {
    WorkspaceInfo info{ws_name, {}, {}, {}};
    for (const auto& [name, entry] : ws->fhir) info.fhir_services.push_back(name);
    for (const auto& [name, entry] : ws->dicom) info.dicom_services.push_back(name);
    for (const auto& [name, entry] : ws->iot) info.iot_connectors.push_back(name);
    out.push_back(std::move(info));
  }
  return out;
}

std::optional<WorkspaceInfo> Registry::workspace(std::string_view name) const {
  std::shared_lock lock(map_mutex_);
  auto it = workspaces_.find(name);
  if (it == workspaces_.end()) return std::nullopt;
  WorkspaceInfo info{it->first, {}, {}, {}};
  for (const auto& [svc, entry] : it->second->fhir) info.fhir_services.push_back(svc);
  for (const auto& [svc, entry] : it->second->dicom) info.dicom_services.push_back(svc);
  for (const auto& [svc, entry] : it->second->iot) info.iot_connectors.push_back(svc);
  return info;
}

std::optional<std::vector<FhirServiceInfo>> Registry::fhir_services(std::string_view ws) const {
  std::shared_lock lock(map_mutex_);
  auto it = workspaces_.find(ws);
  if (it == workspaces_.end()) return std::nullopt;
  std::vector<FhirServiceInfo> out;
  for (const auto& [name, entry] : it->second->fhir)
    out.push_back({it->first, name, entry->settings, entry->service != nullptr, entry->error});
  return out;
}

std::optional<FhirServiceInfo> Registry::fhir_service_info(std::string_view ws, std::string_view name) const {
  std::shared_lock lock(map_mutex_);
  auto it = workspaces_.find(ws);
  if (it == workspaces_.end()) return std::nullopt;
  auto svc = it->second->fhir.find(name);
  if (svc == it->second->fhir.end()) return std::nullopt;
  const auto& entry = svc->second;
  return FhirServiceInfo{it->first, svc->first, entry->settings, entry->service != nullptr, entry->error};
}

ChangeResult Registry::put_workspace(const std::string& ws) {
  std::lock_guard change(change_mutex_);
  {
    std::unique_lock lock(map_mutex_);
    if (workspaces_.count(ws)) return {Change::Updated, {}};
    workspaces_.emplace(ws, std::make_shared<Workspace>());
  }
  save();
  return {Change::Created, {}};
}

ChangeResult Registry::delete_workspace(const std::string& ws) {
  std::lock_guard change(change_mutex_);
  {
    std::unique_lock lock(map_mutex_);
    auto it = workspaces_.find(ws);
    if (it == workspaces_.end()) return {Change::NoWorkspace, {}};
    if (!it->second->fhir.empty() || !it->second->dicom.empty() || !it->second->iot.empty()) {
      std::string names;
      for (const auto& [name, entry] : it->second->fhir) names += (names.empty() ? "fhirservices: " : ", ") + name;
      std::string dicom;
      for (const auto& [name, entry] : it->second->dicom) dicom += (dicom.empty() ? "dicomservices: " : ", ") + name;
      if (!dicom.empty()) names += (names.empty() ? "" : "; ") + dicom;
      std::string iot;
      for (const auto& [name, entry] : it->second->iot) iot += (iot.empty() ? "iotconnectors: " : ", ") + name;
      if (!iot.empty()) names += (names.empty() ? "" : "; ") + iot;
      return {Change::HasServices, "Workspace '" + ws + "' still has services (" + names + "); delete them first"};
    }
    workspaces_.erase(it);
  }
  save();
  std::error_code ec;
  fs::remove_all(fs::path(data_dir_) / "workspaces" / ws, ec);
  return {Change::Deleted, {}};
}

ChangeResult Registry::put_fhir_service(const std::string& ws, const std::string& name,
                                        const fhir::ServiceSettings& settings) {
  std::lock_guard change(change_mutex_);
  std::shared_ptr<const FhirEntry> existing;
  {
    std::shared_lock lock(map_mutex_);
    auto it = workspaces_.find(ws);
    if (it == workspaces_.end()) return {Change::NoWorkspace, {}};
    auto svc = it->second->fhir.find(name);
    if (svc != it->second->fhir.end()) existing = svc->second;
  }
  // A new entry; on update it keeps the store (and so the data) and the in-flight token.
  auto entry = std::make_shared<FhirEntry>();
  entry->settings = settings;
  if (existing) {
    entry->store = existing->store;
    entry->in_flight = existing->in_flight;
  }
  open_entry(ws, name, *entry);
  if (!entry->service) {
    // A new service that cannot open is not kept; an existing one keeps its old entry.
    if (!existing) {
      std::error_code ec;
      fs::remove_all(fhir_service_dir(ws, name), ec);
    }
    return {Change::Failed, "FHIR service '" + name + "' could not be opened: " + entry->error};
  }
  {
    std::unique_lock lock(map_mutex_);
    auto it = workspaces_.find(ws);
    if (it == workspaces_.end()) return {Change::NoWorkspace, {}};  // cannot happen: changes are serialized
    it->second->fhir[name] = entry;
  }
  save();
  return {existing ? Change::Updated : Change::Created, {}};
}

ChangeResult Registry::delete_fhir_service(const std::string& ws, const std::string& name) {
  std::lock_guard change(change_mutex_);
  std::shared_ptr<const FhirEntry> removed;
  {
    std::unique_lock lock(map_mutex_);
    auto it = workspaces_.find(ws);
    if (it == workspaces_.end()) return {Change::NoWorkspace, {}};
    auto svc = it->second->fhir.find(name);
    if (svc == it->second->fhir.end()) return {Change::NoService, {}};
    removed = svc->second;
    it->second->fhir.erase(svc);
  }
  save();
  retire_entry(std::move(removed));
  std::error_code ec;
  fs::remove_all(fhir_service_dir(ws, name), ec);
  if (ec) spdlog::warn("could not remove {}: {}", fhir_service_dir(ws, name), ec.message());
  return {Change::Deleted, {}};
}

FhirLookup Registry::fhir_service(std::string_view ws, std::string_view name) const {
  FhirLookup out;
  std::shared_lock lock(map_mutex_);
  auto it = workspaces_.find(ws);
  if (it == workspaces_.end()) return out;
  out.workspace_found = true;
  auto svc = it->second->fhir.find(name);
  if (svc == it->second->fhir.end()) return out;
  out.service_found = true;
  const auto& entry = svc->second;
  if (!entry->service) {
    out.error = entry->error;
    return out;
  }
  // The returned pointer also holds the in-flight token, which a delete waits on.
  struct Lease {
    std::shared_ptr<fhir::FhirService> service;
    std::shared_ptr<int> in_flight;
  };
  auto lease = std::make_shared<Lease>(Lease{entry->service, entry->in_flight});
  out.service = std::shared_ptr<fhir::FhirService>(lease, lease->service.get());
  return out;
}

}  // namespace healthd::workspace
