#include "workspace/registry.h"

#include <spdlog/spdlog.h>

#include <filesystem>

#include "dicom/service.h"
#include "dicom/store.h"
#include "fhir/service.h"
#include "fhir/store.h"
#include "medtech/connector.h"
#include "storage/sqlite_fhir_store.h"
#include "workspace/management_file.h"
#include "workspace/registry_services.h"

namespace healthd::workspace {

namespace fs = std::filesystem;

namespace {

std::string qualified(const std::string& ws, const std::string& name) { return ws + "/fhir/" + name; }

}  // namespace

Registry::Registry(std::string data_dir, StoreConfig store, std::shared_ptr<const fhir::Definitions> definitions,
                   ServiceWiring wiring)
    : data_dir_(std::move(data_dir)),
      store_config_(store),
      definitions_(std::move(definitions)),
      wiring_(std::move(wiring)) {}

Registry::~Registry() { close(); }

const Registry::StoreBacked<Registry::FhirEntry>& Registry::fhir_kind() {
  static const StoreBacked<FhirEntry> kind{"FHIR", &Workspace::fhir, &Registry::fhir_service_dir,
                                           &Registry::open_fhir_entry};
  return kind;
}

std::string Registry::fhir_service_dir(const std::string& ws, const std::string& name) const {
  return (fs::path(data_dir_) / "workspaces" / ws / "fhirservices" / name).string();
}

void Registry::open_fhir_entry(const std::string& ws, const std::string& name, FhirEntry& entry) {
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
      options.writer_nice = store_config_.writer_nice;
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
      open_fhir_entry(ws_name, name, *entry);
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
    for (auto& [name, entry] : ws->fhir) retire_service_entry(std::move(entry), fhir_kind().label);
    for (auto& [name, entry] : ws->dicom) retire_service_entry(std::move(entry), dicom_kind().label);
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
  return list_services(fhir_kind(), ws);
}

std::optional<FhirServiceInfo> Registry::fhir_service_info(std::string_view ws, std::string_view name) const {
  return service_info(fhir_kind(), ws, name);
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
  return put_service(fhir_kind(), ws, name, settings);
}

ChangeResult Registry::delete_fhir_service(const std::string& ws, const std::string& name) {
  return delete_service(fhir_kind(), ws, name);
}

FhirLookup Registry::fhir_service(std::string_view ws, std::string_view name) const {
  return lookup_service(fhir_kind(), ws, name);
}

}  // namespace healthd::workspace
