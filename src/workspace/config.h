// PlatformConfig: everything the process is told at start (YAML file + command-line flags).
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "fhir/settings.h"

namespace healthd::workspace {

struct ServerConfig {
  std::string host = "127.0.0.1";
  int port = 8080;
  int io_threads = 2;
  int workers = 64;
  int max_queue = 1024;
  size_t max_body_bytes = 64 * 1024 * 1024;
  size_t max_header_bytes = 16 * 1024;
  int read_timeout_s = 30;
  int idle_timeout_s = 60;
  int shutdown_grace_s = 20;
  size_t gzip_min_bytes = 1024;
};

// Options shared by every service's embedded store.
struct StoreConfig {
  bool synchronous_full = false;  // "synchronous: full" (default "normal")
  int max_batch = 256;
  int cache_mb = 64;
  int wal_autocheckpoint_pages = 20000;
  size_t compress_threshold = 2048;
  int read_connections = 8;
};

enum class ServiceKind { Fhir, Dicom, Medtech };
const char* service_kind_name(ServiceKind kind);

struct ServiceConfig {
  ServiceKind kind = ServiceKind::Fhir;
  std::string name;
  fhir::ServiceSettings fhir;  // when kind == Fhir
};

struct WorkspaceConfig {
  std::string name;
  std::vector<ServiceConfig> services;
};

struct PlatformConfig {
  ServerConfig server;
  std::string data_dir = "./data";
  std::string definitions_dir = HEALTHD_DEFINITIONS_DIR;
  std::string log_level = "info";
  StoreConfig store;
  std::vector<WorkspaceConfig> workspaces;
};

// No config file: workspace "default" holding FHIR service "default".
PlatformConfig default_config();

// Parses YAML text. A missing `workspaces` key gives the default workspace; an empty list
// gives none. Throws std::runtime_error naming the offending key on unknown keys, bad values
// or service kinds that are not supported yet.
PlatformConfig parse_config(std::string_view yaml_text);
// Reads and parses a file; errors name the file.
PlatformConfig load_config(const std::string& path);

// Command-line flags that win over the file.
struct ConfigOverrides {
  std::optional<std::string> host;
  std::optional<int> port;
  std::optional<std::string> data_dir;
};
void apply_overrides(PlatformConfig& config, const ConfigOverrides& overrides);

}  // namespace healthd::workspace
