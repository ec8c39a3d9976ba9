// The registry's store-backed services (FHIR and DICOM), handled by one piece of code: list,
// info, put, delete, lookup and retire work on either kind through its StoreBacked kind.
// Private to registry.cpp and registry_dicom.cpp.
#pragma once

#include <spdlog/spdlog.h>

#include <chrono>
#include <filesystem>
#include <thread>

#include "workspace/registry_entries.h"

namespace healthd::workspace {

template <class Entry>
struct Registry::StoreBacked {
  const char* label;  // "FHIR" / "DICOM", for messages
  std::map<std::string, std::shared_ptr<const Entry>, std::less<>> Workspace::*services;
  std::string (Registry::*dir)(const std::string& ws, const std::string& name) const;
  // Opens entry.service (and entry.store unless given); on failure leaves service null and sets error.
  void (Registry::*open)(const std::string& ws, const std::string& name, Entry& entry);
};

// Waits (bounded) for requests still using the entry's store, then closes it.
// The caller hands over the only reference the registry held.
template <class Entry>
void retire_service_entry(std::shared_ptr<const Entry> retiring, const char* label) {
  // How long a delete waits for requests still using the service before closing it anyway.
  constexpr auto kDrainTimeout = std::chrono::seconds(30);
  Entry entry = *retiring;
  retiring.reset();
  std::weak_ptr<int> in_flight = entry.in_flight;
  entry.in_flight.reset();
  const auto deadline = std::chrono::steady_clock::now() + kDrainTimeout;
  while (!in_flight.expired() && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  if (!in_flight.expired()) spdlog::warn("closing a {} service still in use after {}s", label, kDrainTimeout.count());
  if (entry.service) entry.service->close();
  else if (entry.store) entry.store->close();
  entry.service.reset();
  entry.store.reset();
}

template <class Entry>
auto Registry::list_services(const StoreBacked<Entry>& kind, std::string_view ws) const {
  std::shared_lock lock(map_mutex_);
  std::optional<std::vector<typename Entry::Info>> out;
  auto it = workspaces_.find(ws);
  if (it == workspaces_.end()) return out;
  out.emplace();
  for (const auto& [name, entry] : (*it->second).*kind.services)
    out->push_back({it->first, name, entry->settings, entry->service != nullptr, entry->error});
  return out;
}

template <class Entry>
auto Registry::service_info(const StoreBacked<Entry>& kind, std::string_view ws, std::string_view name) const {
  std::shared_lock lock(map_mutex_);
  std::optional<typename Entry::Info> out;
  auto it = workspaces_.find(ws);
  if (it == workspaces_.end()) return out;
  const auto& services = (*it->second).*kind.services;
  auto svc = services.find(name);
  if (svc == services.end()) return out;
  const auto& entry = svc->second;
  out = typename Entry::Info{it->first, svc->first, entry->settings, entry->service != nullptr, entry->error};
  return out;
}

template <class Entry, class Settings>
ChangeResult Registry::put_service(const StoreBacked<Entry>& kind, const std::string& ws, const std::string& name,
                                   const Settings& settings) {
  std::lock_guard change(change_mutex_);
  std::shared_ptr<const Entry> existing;
  {
    std::shared_lock lock(map_mutex_);
    auto it = workspaces_.find(ws);
    if (it == workspaces_.end()) return {Change::NoWorkspace, {}};
    const auto& services = (*it->second).*kind.services;
    auto svc = services.find(name);
    if (svc != services.end()) existing = svc->second;
  }
  // A new entry; on update it keeps the store (and so the data) and the in-flight token.
  auto entry = std::make_shared<Entry>();
  entry->settings = settings;
  if (existing) {
    entry->store = existing->store;
    entry->in_flight = existing->in_flight;
  }
  (this->*kind.open)(ws, name, *entry);
  if (!entry->service) {
    // A new service that cannot open is not kept; an existing one keeps its old entry.
    if (!existing) {
      std::error_code ec;
      std::filesystem::remove_all((this->*kind.dir)(ws, name), ec);
    }
    return {Change::Failed,
            std::string(kind.label) + " service '" + name + "' could not be opened: " + entry->error};
  }
  {
    std::unique_lock lock(map_mutex_);
    auto it = workspaces_.find(ws);
    if (it == workspaces_.end()) return {Change::NoWorkspace, {}};  // cannot happen: changes are serialized
    ((*it->second).*kind.services)[name] = entry;
  }
  save();
  return {existing ? Change::Updated : Change::Created, {}};
}

template <class Entry>
ChangeResult Registry::delete_service(const StoreBacked<Entry>& kind, const std::string& ws,
                                      const std::string& name) {
  std::lock_guard change(change_mutex_);
  std::shared_ptr<const Entry> removed;
  {
    std::unique_lock lock(map_mutex_);
    auto it = workspaces_.find(ws);
    if (it == workspaces_.end()) return {Change::NoWorkspace, {}};
    auto& services = (*it->second).*kind.services;
    auto svc = services.find(name);
    if (svc == services.end()) return {Change::NoService, {}};
    removed = svc->second;
    services.erase(svc);
  }
  save();
  retire_service_entry(std::move(removed), kind.label);
  const std::string dir = (this->*kind.dir)(ws, name);
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
  if (ec) spdlog::warn("could not remove {}: {}", dir, ec.message());
  return {Change::Deleted, {}};
}

template <class Entry>
auto Registry::lookup_service(const StoreBacked<Entry>& kind, std::string_view ws, std::string_view name) const {
  using Service = typename Entry::Service;
  ServiceLookup<Service> out;
  std::shared_lock lock(map_mutex_);
  auto it = workspaces_.find(ws);
  if (it == workspaces_.end()) return out;
  out.workspace_found = true;
  const auto& services = (*it->second).*kind.services;
  auto svc = services.find(name);
  if (svc == services.end()) return out;
  out.service_found = true;
  const auto& entry = svc->second;
  if (!entry->service) {
    out.error = entry->error;
    return out;
  }
  // The returned pointer also holds the in-flight token, which a delete waits on.
  struct Lease {
    std::shared_ptr<Service> service;
    std::shared_ptr<int> in_flight;
  };
  auto lease = std::make_shared<Lease>(Lease{entry->service, entry->in_flight});
  out.service = std::shared_ptr<Service>(lease, lease->service.get());
  return out;
}

}  // namespace healthd::workspace
