// PlatformConfig: everything the process is told at start (YAML file + command-line flags).
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dicom/settings.h"
#include "fhir/settings.h"
#include "medtech/connector_settings.h"

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
  // The URL clients use to reach this server; service base URLs, token audiences and the
  // built-in issuer derive from it. Empty: http(s)://host:port.
  std::string public_url;
  std::string tls_cert_file;  // PEM; with tls_key_file: HTTPS only
  std::string tls_key_file;
};

// An OAuth client of the built-in issuer.
struct AuthClientConfig {
  std::string id;
  std::string secret;       // plain (hashed at load) ...
  std::string secret_hash;  // ... or already hashed (pbkdf2-sha256$...)
  std::vector<std::string> roles;
  std::vector<std::string> scopes;  // allowed scopes; empty: any
  std::string jwks_json;            // inline JWKS for private_key_jwt
  std::string jwks_url;
  int token_lifetime_s = 0;         // 0: the default
};

struct AuthConfig {
  std::string issuer;                    // built-in issuer URL; empty: the public URL
  std::vector<std::string> authorities;  // external OpenID Connect providers (authority URLs)
  std::string roles_file;                // custom roles, in the open-source server's shape
  bool metrics_open = true;              // GET /metrics without a token
  int token_lifetime_s = 3600;           // client-secret tokens
  int clock_skew_s = 60;
  int jwks_refresh_min_interval_s = 10;  // external issuers: at most one key refetch per interval
  size_t audit_max_file_bytes = 64 * 1024 * 1024;
  std::vector<AuthClientConfig> clients;
};

// Options shared by every service's embedded store.
struct StoreConfig {
  bool synchronous_full = false;  // "synchronous: full" (default "normal")
  int max_batch = 256;
  int cache_mb = 64;
  int wal_autocheckpoint_pages = 20000;
  size_t compress_threshold = 2048;
  int read_connections = 8;
  int writer_nice = -10;  // the FHIR store writer thread's priority, when the process may raise it
  int commit_delay_us = 200;  // DICOM store: how long a commit waits for announced STOW puts (0: never)
};

// Search options shared by every FHIR service.
struct SearchConfig {
  // Most codes one value set expansion may hold (token :in/:not-in, _filter in/ni); a larger
  // expansion is refused with a 400 naming the limit.
  size_t max_value_set_codes = 100000;
};

enum class ServiceKind { Fhir, Dicom, Medtech };
const char* service_kind_name(ServiceKind kind);

struct ServiceConfig {
  ServiceKind kind = ServiceKind::Fhir;
  std::string name;
  fhir::ServiceSettings fhir;           // when kind == Fhir
  dicom::DicomSettings dicom;           // when kind == Dicom
  medtech::ConnectorSettings medtech;  // when kind == Medtech (destinations included)
  // Built-in defaults (no `workspaces` in the config): created when missing, never overriding
  // what the management API saved (a MedTech service's mappings survive restarts).
  bool ensure_only = false;
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
  SearchConfig search;
  AuthConfig auth;
  std::vector<WorkspaceConfig> workspaces;

  // public_url, or http(s)://host:port when it is not set.
  std::string public_url(int bound_port) const;
};

// No config file: workspace "default" holding FHIR service "default", DICOM service "default"
// and MedTech service "default" (empty mappings) whose destination "default" writes into FHIR
// service "default" with identity resolution Create.
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
