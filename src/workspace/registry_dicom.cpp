// The DICOM half of the registry: DICOM services live in a workspace beside its FHIR services,
// each with its own store, persisted in management.json the same way.
#include <spdlog/spdlog.h>

#include <filesystem>

#include "dicom/service.h"
#include "dicom/store.h"
#include "storage/sqlite_dicom_store.h"
#include "workspace/registry_services.h"

namespace healthd::workspace {

namespace fs = std::filesystem;

namespace {

std::string qualified(const std::string& ws, const std::string& name) { return ws + "/dicom/" + name; }

}  // namespace

const Registry::StoreBacked<Registry::DicomEntry>& Registry::dicom_kind() {
  static const StoreBacked<DicomEntry> kind{"DICOM", &Workspace::dicom, &Registry::dicom_service_dir,
                                            &Registry::open_dicom_entry};
  return kind;
}

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
      options.commit_delay_us = store_config_.commit_delay_us;
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

std::optional<std::vector<DicomServiceInfo>> Registry::dicom_services(std::string_view ws) const {
  return list_services(dicom_kind(), ws);
}

std::optional<DicomServiceInfo> Registry::dicom_service_info(std::string_view ws, std::string_view name) const {
  return service_info(dicom_kind(), ws, name);
}

ChangeResult Registry::put_dicom_service(const std::string& ws, const std::string& name,
                                         const dicom::DicomSettings& settings) {
  return put_service(dicom_kind(), ws, name, settings);
}

ChangeResult Registry::delete_dicom_service(const std::string& ws, const std::string& name) {
  return delete_service(dicom_kind(), ws, name);
}

DicomLookup Registry::dicom_service(std::string_view ws, std::string_view name) const {
  return lookup_service(dicom_kind(), ws, name);
}

}  // namespace healthd::workspace
