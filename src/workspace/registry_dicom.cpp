// The DICOM half of the registry: DICOM services live in a workspace beside its FHIR services,
// each with its own store, persisted in management.json the same way.
#include <spdlog/spdlog.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include "dicom/service.h"
#include "dicom/store.h"
#include "storage/sqlite_dicom_store.h"
#include "workspace/registry_entries.h"

namespace healthd::workspace {

namespace fs = std::filesystem;

namespace {

constexpr auto kDrainTimeout = std::chrono::seconds(30);

std::string qualified(const std::string& ws, const std::string& name) { return ws + "/dicom/" + name; }

}  // namespace

std::string Registry::dicom_service_dir(const std::string& ws, const std::string& name) const {
  return (fs::path(data_dir_) / "workspaces" / ws / "dicomservices" / name).string();
}

void Registry::open_dicom_entry(const std::string& ws, const std::string& name, DicomEntry& entry) {
  const bool store_given = entry.store != nullptr;
  try {
    if (!entry.store) {
      storage::SqliteDicomStoreOptions options;
      options.dir = dicom_service_dir(ws, name);
      options.synchronous_full = store_config_.synchronous_full;
      options.cache_mb = store_config_.cache_mb;
      options.wal_autocheckpoint_pages = store_config_.wal_autocheckpoint_pages;
      options.compress_threshold = store_config_.compress_threshold;
      options.read_connections = store_config_.read_connections;
      entry.store = storage::open_sqlite_dicom_store(options);
    }
    entry.service = std::make_shared<dicom::DicomService>(qualified(ws, name), entry.settings, entry.store);
    entry.error.clear();
  } catch (const std::exception& e) {
    entry.service.reset();
    if (entry.store && !store_given) entry.store->close();
    if (!store_given) entry.store.reset();
    entry.error = e.what();
    spdlog::error("DICOM service {} failed to open: {}", qualified(ws, name), entry.error);
  }
}

void Registry::retire_dicom_entry(std::shared_ptr<const DicomEntry> retiring) {
  DicomEntry entry = *retiring;
  retiring.reset();
  std::weak_ptr<int> in_flight = entry.in_flight;
  entry.in_flight.reset();
  const auto deadline = std::chrono::steady_clock::now() + kDrainTimeout;
  while (!in_flight.expired() && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  if (!in_flight.expired()) spdlog::warn("closing a DICOM service still in use after {}s", kDrainTimeout.count());
  if (entry.service) entry.service->close();
  else if (entry.store) entry.store->close();
  entry.service.reset();
  entry.store.reset();
}

std::optional<std::vector<DicomServiceInfo>> Registry::dicom_services(std::string_view ws) const {
  std::shared_lock lock(map_mutex_);
  auto it = workspaces_.find(ws);
  if (it == workspaces_.end()) return std::nullopt;
  std::vector<DicomServiceInfo> out;
  for (const auto& [name, entry] : it->second->dicom)
    out.push_back({it->first, name, entry->settings, entry->service != nullptr, entry->error});
  return out;
}

std::optional<DicomServiceInfo> Registry::dicom_service_info(std::string_view ws, std::string_view name) const {
  std::shared_lock lock(map_mutex_);
  auto it = workspaces_.find(ws);
  if (it == workspaces_.end()) return std::nullopt;
  auto svc = it->second->dicom.find(name);
  if (svc == it->second->dicom.end()) return std::nullopt;
  const auto& entry = svc->second;
  return DicomServiceInfo{it->first, svc->first, entry->settings, entry->service != nullptr, entry->error};
}

ChangeResult Registry::put_dicom_service(const std::string& ws, const std::string& name,
                                         const dicom::DicomSettings& settings) {
  std::lock_guard change(change_mutex_);
  std::shared_ptr<const DicomEntry> existing;
  {
    std::shared_lock lock(map_mutex_);
    auto it = workspaces_.find(ws);
    if (it == workspaces_.end()) return {Change::NoWorkspace, {}};
    auto svc = it->second->dicom.find(name);
    if (svc != it->second->dicom.end()) existing = svc->second;
  }
  auto entry = std::make_shared<DicomEntry>();
  entry->settings = settings;
  if (existing) {
    entry->store = existing->store;
    entry->in_flight = existing->in_flight;
  }
  open_dicom_entry(ws, name, *entry);
  if (!entry->service) {
    if (!existing) {
      std::error_code ec;
      fs::remove_all(dicom_service_dir(ws, name), ec);
    }
    return {Change::Failed, "DICOM service '" + name + "' could not be opened: " + entry->error};
  }
  {
    std::unique_lock lock(map_mutex_);
    auto it = workspaces_.find(ws);
    if (it == workspaces_.end()) return {Change::NoWorkspace, {}};
    it->second->dicom[name] = entry;
  }
  save();
  return {existing ? Change::Updated : Change::Created, {}};
}

ChangeResult Registry::delete_dicom_service(const std::string& ws, const std::string& name) {
  std::lock_guard change(change_mutex_);
  std::shared_ptr<const DicomEntry> removed;
  {
    std::unique_lock lock(map_mutex_);
    auto it = workspaces_.find(ws);
    if (it == workspaces_.end()) return {Change::NoWorkspace, {}};
    auto svc = it->second->dicom.find(name);
    if (svc == it->second->dicom.end()) return {Change::NoService, {}};
    removed = svc->second;
    it->second->dicom.erase(svc);
  }
  save();
  retire_dicom_entry(std::move(removed));
  std::error_code ec;
  fs::remove_all(dicom_service_dir(ws, name), ec);
  if (ec) spdlog::warn("could not remove {}: {}", dicom_service_dir(ws, name), ec.message());
  return {Change::Deleted, {}};
}

DicomLookup Registry::dicom_service(std::string_view ws, std::string_view name) const {
  DicomLookup out;
  std::shared_lock lock(map_mutex_);
  auto it = workspaces_.find(ws);
  if (it == workspaces_.end()) return out;
  out.workspace_found = true;
  auto svc = it->second->dicom.find(name);
  if (svc == it->second->dicom.end()) return out;
  out.service_found = true;
  const auto& entry = svc->second;
  if (!entry->service) {
    out.error = entry->error;
    return out;
  }
  struct Lease {
    std::shared_ptr<dicom::DicomService> service;
    std::shared_ptr<int> in_flight;
  };
  auto lease = std::make_shared<Lease>(Lease{entry->service, entry->in_flight});
  out.service = std::shared_ptr<dicom::DicomService>(lease, lease->service.get());
  return out;
}

}  // namespace healthd::workspace
