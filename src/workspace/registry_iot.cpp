// Registry: the MedTech services (IoT connectors) of each workspace.
#include <spdlog/spdlog.h>

#include <filesystem>

#include "fhir/service.h"
#include "medtech/connector.h"
#include "storage/sqlite_medtech_queue.h"
#include "workspace/registry.h"
#include "workspace/registry_entries.h"

namespace healthd::workspace {

namespace fs = std::filesystem;

std::string Registry::iot_connector_dir(const std::string& ws, const std::string& name) const {
  return (fs::path(data_dir_) / "workspaces" / ws / "iotconnectors" / name).string();
}

void Registry::open_iot_entry(const std::string& ws, const std::string& name, IotEntry& entry) {
  try {
    const std::string dir = iot_connector_dir(ws, name);
    fs::create_directories(dir);
    storage::SqliteMedtechQueueOptions options;
    options.path = (fs::path(dir) / "queue.db").string();
    options.synchronous_full = store_config_.synchronous_full;
    auto queue = storage::open_sqlite_medtech_queue(options);
    // The destination FHIR service is looked up at each call: it may be replaced or deleted.
    medtech::FhirCall call = [this, ws](const std::string& service, Request& req) -> std::optional<Response> {
      FhirLookup found = fhir_service(ws, service);
      if (!found.service) return std::nullopt;
      req.base_url = "/" + ws + "/fhir/" + service;
      return found.service->handle(req);
    };
    entry.connector = std::make_shared<medtech::MedtechConnector>(ws + "/" + name, entry.settings, std::move(queue), call);
    entry.connector->start();
    entry.error.clear();
  } catch (const std::exception& e) {
    entry.connector.reset();
    entry.error = e.what();
    spdlog::error("MedTech service {}/medtech/{} failed to open: {}", ws, name, entry.error);
  }
}

void Registry::close_iot_entry(IotEntry& entry) {
  if (entry.connector) entry.connector->close();
}

std::optional<std::vector<IotConnectorInfo>> Registry::iot_connectors(std::string_view ws) const {
  std::shared_lock lock(map_mutex_);
  auto it = workspaces_.find(ws);
  if (it == workspaces_.end()) return std::nullopt;
  std::vector<IotConnectorInfo> out;
  for (const auto& [name, e] : it->second->iot)
    out.push_back({it->first, name, e->settings, e->connector ? e->connector->queue_depth() : 0, e->connector != nullptr,
                   e->error});
  return out;
}

std::optional<IotConnectorInfo> Registry::iot_connector_info(std::string_view ws, std::string_view name) const {
  std::shared_lock lock(map_mutex_);
  auto it = workspaces_.find(ws);
  if (it == workspaces_.end()) return std::nullopt;
  auto c = it->second->iot.find(name);
  if (c == it->second->iot.end()) return std::nullopt;
  const auto& e = c->second;
  return IotConnectorInfo{it->first, c->first, e->settings, e->connector ? e->connector->queue_depth() : 0,
                          e->connector != nullptr, e->error};
}

ChangeResult Registry::put_iot_connector(const std::string& ws, const std::string& name,
                                         const medtech::ConnectorSettings& settings) {
  {
    std::unique_lock change(change_mutex_);
    std::shared_ptr<IotEntry> existing;
    {
      std::shared_lock lock(map_mutex_);
      auto it = workspaces_.find(ws);
      if (it == workspaces_.end()) return {Change::NoWorkspace, {}};
      if (auto c = it->second->iot.find(name); c != it->second->iot.end()) existing = c->second;
    }
    if (!existing) {
      auto entry = std::make_shared<IotEntry>();
      entry->settings = settings;
      entry->settings.destinations.clear();
      open_iot_entry(ws, name, *entry);
      if (!entry->connector) {
        std::error_code ec;
        fs::remove_all(iot_connector_dir(ws, name), ec);
        return {Change::Failed, "IoT connector '" + name + "' could not be opened: " + entry->error};
      }
      {
        std::unique_lock lock(map_mutex_);
        workspaces_.find(ws)->second->iot[name] = entry;
      }
      save();
      return {Change::Created, {}};
    }
  }
  return change_iot_settings(ws, name, [&](medtech::ConnectorSettings& s) {
    s.device_mapping = settings.device_mapping;
    s.queue_limit = settings.queue_limit;
    s.mqtt = settings.mqtt;
    return ChangeResult{Change::Updated, {}};
  });
}

ChangeResult Registry::change_iot_settings(const std::string& ws, const std::string& name,
                                           const std::function<ChangeResult(medtech::ConnectorSettings&)>& edit) {
  std::lock_guard change(change_mutex_);
  medtech::ConnectorSettings updated;
  std::shared_ptr<IotEntry> entry;
  ChangeResult result;
  {
    std::unique_lock lock(map_mutex_);
    auto it = workspaces_.find(ws);
    if (it == workspaces_.end()) return {Change::NoWorkspace, {}};
    auto c = it->second->iot.find(name);
    if (c == it->second->iot.end()) return {Change::NoService, {}};
    entry = c->second;
    updated = entry->settings;
    result = edit(updated);
    if (result.change != Change::Created && result.change != Change::Updated && result.change != Change::Deleted)
      return result;
    entry->settings = updated;
  }
  if (entry->connector) entry->connector->update_settings(updated);
  save();
  return result;
}

ChangeResult Registry::delete_iot_connector(const std::string& ws, const std::string& name) {
  std::lock_guard change(change_mutex_);
  std::shared_ptr<IotEntry> removed;
  {
    std::unique_lock lock(map_mutex_);
    auto it = workspaces_.find(ws);
    if (it == workspaces_.end()) return {Change::NoWorkspace, {}};
    auto c = it->second->iot.find(name);
    if (c == it->second->iot.end()) return {Change::NoService, {}};
    removed = c->second;
    it->second->iot.erase(c);
  }
  save();
  close_iot_entry(*removed);
  std::error_code ec;
  fs::remove_all(iot_connector_dir(ws, name), ec);
  if (ec) spdlog::warn("could not remove {}: {}", iot_connector_dir(ws, name), ec.message());
  return {Change::Deleted, {}};
}

ChangeResult Registry::put_fhir_destination(const std::string& ws, const std::string& name, const std::string& dest,
                                            const medtech::DestinationSettings& settings) {
  {
    std::shared_lock lock(map_mutex_);
    auto it = workspaces_.find(ws);
    if (it != workspaces_.end() && !it->second->fhir.count(settings.fhir_service))
      return {Change::Invalid, "properties.fhirServiceResourceId: workspace '" + ws + "' has no FHIR service '" +
                                   settings.fhir_service + "'"};
  }
  return change_iot_settings(ws, name, [&](medtech::ConnectorSettings& s) {
    bool existed = s.destinations.count(dest) > 0;
    s.destinations[dest] = settings;
    return ChangeResult{existed ? Change::Updated : Change::Created, {}};
  });
}

ChangeResult Registry::delete_fhir_destination(const std::string& ws, const std::string& name, const std::string& dest) {
  return change_iot_settings(ws, name, [&](medtech::ConnectorSettings& s) {
    if (!s.destinations.erase(dest)) return ChangeResult{Change::NoDestination, {}};
    return ChangeResult{Change::Deleted, {}};
  });
}

IotLookup Registry::iot_connector(std::string_view ws, std::string_view name) const {
  IotLookup out;
  std::shared_lock lock(map_mutex_);
  auto it = workspaces_.find(ws);
  if (it == workspaces_.end()) return out;
  out.workspace_found = true;
  auto c = it->second->iot.find(name);
  if (c == it->second->iot.end()) return out;
  out.connector_found = true;
  out.connector = c->second->connector;
  out.error = c->second->error;
  return out;
}

}  // namespace healthd::workspace
