#include "workspace/config.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <climits>
#include <fstream>
#include <initializer_list>
#include <set>
#include <sstream>
#include <stdexcept>

#include "workspace/config_medtech.h"
#include "workspace/names.h"
#include "workspace/settings_rules.h"

namespace healthd::workspace {

const char* service_kind_name(ServiceKind kind) {
  switch (kind) {
    case ServiceKind::Fhir: return "fhir";
    case ServiceKind::Dicom: return "dicom";
    case ServiceKind::Medtech: return "medtech";
  }
  return "fhir";
}

PlatformConfig default_config() {
  PlatformConfig c;
  ServiceConfig fhir;
  fhir.name = "default";
  ServiceConfig dicom;
  dicom.kind = ServiceKind::Dicom;
  dicom.name = "default";
  ServiceConfig iot;
  iot.kind = ServiceKind::Medtech;
  iot.name = "default";
  medtech::DestinationSettings destination;
  destination.resolution = medtech::ResolutionType::Create;
  destination.fhir_service = "default";
  destination.fhir_mapping = medtech::kEmptyFhirMapping;
  iot.medtech.destinations["default"] = destination;
  iot.ensure_only = true;
  c.workspaces.push_back(WorkspaceConfig{"default", {fhir, dicom, iot}});
  return c;
}

namespace {

// Errors read "config: <key path>: <what>", e.g. "config: server.port: must be between 1 and 65535".
[[noreturn]] void fail(const std::string& key, const std::string& what) {
  throw std::runtime_error("config: " + key + ": " + what);
}

std::string join(const std::string& path, const std::string& key) { return path.empty() ? key : path + "." + key; }
std::string indexed(const std::string& path, size_t i) { return path + "[" + std::to_string(i) + "]"; }

// Requires a mapping (null counts as empty) whose keys are all in `allowed`.
void check_keys(const YAML::Node& node, const std::string& path, std::initializer_list<const char*> allowed) {
  if (node.IsNull()) return;
  if (!node.IsMap()) fail(path.empty() ? "(top level)" : path, "must be a mapping");
  for (const auto& kv : node) {
    const std::string key = kv.first.as<std::string>();
    if (std::none_of(allowed.begin(), allowed.end(), [&](const char* a) { return key == a; })) {
      std::string list;
      for (const char* a : allowed) list += (list.empty() ? "" : ", ") + std::string(a);
      fail(join(path, key), "unknown key (allowed here: " + list + ")");
    }
  }
}

std::string text(const YAML::Node& n, const std::string& key) {
  if (!n.IsScalar()) fail(key, "must be a single value");
  return n.Scalar();
}

long long integer(const YAML::Node& n, const std::string& key, long long min, long long max) {
  const std::string s = text(n, key);
  long long v = 0;
  try {
    v = n.as<long long>();
  } catch (const YAML::Exception&) {
    fail(key, "'" + s + "' is not an integer");
  }
  if (v < min || v > max)
    fail(key, "'" + s + "' must be between " + std::to_string(min) + " and " + std::to_string(max));
  return v;
}

// Reads node[key] into out when present.
void read_int(const YAML::Node& map, const std::string& path, const char* key, int& out, long long min,
              long long max = INT_MAX) {
  if (map[key]) out = static_cast<int>(integer(map[key], join(path, key), min, max));
}
void read_size(const YAML::Node& map, const std::string& path, const char* key, size_t& out, long long min) {
  if (map[key]) out = static_cast<size_t>(integer(map[key], join(path, key), min, LLONG_MAX));
}
void read_string(const YAML::Node& map, const std::string& path, const char* key, std::string& out) {
  if (!map[key]) return;
  out = text(map[key], join(path, key));
  if (out.empty()) fail(join(path, key), "must not be empty");
}

void parse_server(const YAML::Node& n, ServerConfig& s) {
  const std::string p = "server";
  check_keys(n, p, {"host", "port", "io_threads", "workers", "max_queue", "max_body_bytes", "max_header_bytes",
                    "read_timeout_s", "idle_timeout_s", "shutdown_grace_s", "gzip_min_bytes", "public_url",
                    "tls_cert_file", "tls_key_file"});
  if (n.IsNull()) return;
  read_string(n, p, "host", s.host);
  read_int(n, p, "port", s.port, 0, 65535);  // 0: any free port
  read_int(n, p, "io_threads", s.io_threads, 1, 256);
  read_int(n, p, "workers", s.workers, 1, 4096);
  read_int(n, p, "max_queue", s.max_queue, 1);
  read_size(n, p, "max_body_bytes", s.max_body_bytes, 1);
  read_size(n, p, "max_header_bytes", s.max_header_bytes, 1024);
  read_int(n, p, "read_timeout_s", s.read_timeout_s, 1);
  read_int(n, p, "idle_timeout_s", s.idle_timeout_s, 1);
  read_int(n, p, "shutdown_grace_s", s.shutdown_grace_s, 0);
  read_size(n, p, "gzip_min_bytes", s.gzip_min_bytes, 0);
  read_string(n, p, "public_url", s.public_url);
  while (s.public_url.ends_with("/")) s.public_url.pop_back();
  if (!s.public_url.empty() && !s.public_url.starts_with("http://") && !s.public_url.starts_with("https://"))
    fail("server.public_url", "must start with http:// or https://");
  read_string(n, p, "tls_cert_file", s.tls_cert_file);
  read_string(n, p, "tls_key_file", s.tls_key_file);
  if (s.tls_cert_file.empty() != s.tls_key_file.empty())
    fail("server.tls_cert_file", "tls_cert_file and tls_key_file go together");
}

std::vector<std::string> string_list(const YAML::Node& n, const std::string& key) {
  std::vector<std::string> out;
  if (n.IsNull()) return out;
  if (n.IsScalar()) {  // "a b c" is accepted for scope-like lists
    std::istringstream words(n.Scalar());
    for (std::string w; words >> w;) out.push_back(w);
    return out;
  }
  if (!n.IsSequence()) fail(key, "must be a list of strings");
  for (size_t i = 0; i < n.size(); ++i) out.push_back(text(n[i], indexed(key, i)));
  return out;
}

AuthClientConfig parse_client(const YAML::Node& n, const std::string& p) {
  if (!n.IsMap()) fail(p, "must be a mapping with id and a secret or jwks");
  check_keys(n, p, {"id", "secret", "secret_hash", "roles", "scopes", "jwks", "jwks_url", "token_lifetime_s"});
  AuthClientConfig c;
  if (!n["id"]) fail(join(p, "id"), "is required");
  c.id = text(n["id"], join(p, "id"));
  read_string(n, p, "secret", c.secret);
  read_string(n, p, "secret_hash", c.secret_hash);
  if (n["roles"]) {
    // Role names contain spaces: a scalar is one role, a list is several.
    if (n["roles"].IsScalar()) c.roles.push_back(n["roles"].Scalar());
    else c.roles = string_list(n["roles"], join(p, "roles"));
  }
  if (n["scopes"]) c.scopes = string_list(n["scopes"], join(p, "scopes"));
  read_string(n, p, "jwks", c.jwks_json);  // inline JWKS as JSON text: jwks: '{"keys":[...]}'
  read_string(n, p, "jwks_url", c.jwks_url);
  read_int(n, p, "token_lifetime_s", c.token_lifetime_s, 1, 86400);
  if (c.secret.empty() && c.secret_hash.empty() && c.jwks_json.empty() && c.jwks_url.empty())
    fail(p, "client '" + c.id + "' needs a secret, secret_hash, jwks or jwks_url");
  return c;
}

void parse_auth(const YAML::Node& n, AuthConfig& a) {
  const std::string p = "auth";
  check_keys(n, p, {"issuer", "authorities", "roles_file", "metrics_open", "token_lifetime_s", "clock_skew_s",
                    "jwks_refresh_min_interval_s", "audit_max_file_bytes", "clients"});
  if (n.IsNull()) return;
  read_string(n, p, "issuer", a.issuer);
  if (n["authorities"]) a.authorities = string_list(n["authorities"], "auth.authorities");
  for (auto& url : a.authorities) {
    while (url.ends_with("/")) url.pop_back();
    if (!url.starts_with("http://") && !url.starts_with("https://"))
      fail("auth.authorities", "'" + url + "' must be an http(s) URL");
  }
  read_string(n, p, "roles_file", a.roles_file);
  if (n["metrics_open"]) {
    const std::string v = text(n["metrics_open"], "auth.metrics_open");
    if (v != "true" && v != "false") fail("auth.metrics_open", "must be true or false");
    a.metrics_open = v == "true";
  }
  read_int(n, p, "token_lifetime_s", a.token_lifetime_s, 60, 86400);
  read_int(n, p, "clock_skew_s", a.clock_skew_s, 0, 600);
  read_int(n, p, "jwks_refresh_min_interval_s", a.jwks_refresh_min_interval_s, 0, 3600);
  read_size(n, p, "audit_max_file_bytes", a.audit_max_file_bytes, 4096);
  if (const auto list = n["clients"]) {
    if (!list.IsSequence() && !list.IsNull()) fail("auth.clients", "must be a list");
    std::set<std::string> seen;
    for (size_t i = 0; list.IsSequence() && i < list.size(); ++i) {
      AuthClientConfig c = parse_client(list[i], indexed("auth.clients", i));
      if (!seen.insert(c.id).second) fail(indexed("auth.clients", i) + ".id", "duplicate client '" + c.id + "'");
      a.clients.push_back(std::move(c));
    }
  }
}

void parse_search(const YAML::Node& n, SearchConfig& s) {
  check_keys(n, "search", {"max_value_set_codes"});
  if (n.IsNull()) return;
  read_size(n, "search", "max_value_set_codes", s.max_value_set_codes, 1);
}

void parse_store(const YAML::Node& n, StoreConfig& s) {
  const std::string p = "store";
  check_keys(n, p, {"synchronous", "max_batch", "cache_mb", "wal_autocheckpoint_pages", "compress_threshold",
                    "read_connections", "writer_nice", "commit_delay_us"});
  if (n.IsNull()) return;
  if (n["synchronous"]) {
    const std::string v = text(n["synchronous"], "store.synchronous");
    if (v == "full") s.synchronous_full = true;
    else if (v == "normal") s.synchronous_full = false;
    else fail("store.synchronous", "'" + v + "' is not one of: normal, full");
  }
  read_int(n, p, "max_batch", s.max_batch, 1);
  read_int(n, p, "cache_mb", s.cache_mb, 1);
  read_int(n, p, "wal_autocheckpoint_pages", s.wal_autocheckpoint_pages, 0);
  read_size(n, p, "compress_threshold", s.compress_threshold, 0);
  read_int(n, p, "read_connections", s.read_connections, 1, 256);
  read_int(n, p, "writer_nice", s.writer_nice, -20, 19);
  read_int(n, p, "commit_delay_us", s.commit_delay_us, 0, 100000);
}

void parse_log(const YAML::Node& n, std::string& level) {
  check_keys(n, "log", {"level"});
  if (n.IsNull() || !n["level"]) return;
  level = text(n["level"], "log.level");
  static const std::set<std::string> levels{"trace", "debug", "info", "warn", "error", "critical", "off"};
  if (!levels.count(level))
    fail("log.level", "'" + level + "' is not one of: trace, debug, info, warn, error, critical, off");
}

fhir::Versioning versioning(const YAML::Node& n, const std::string& key) {
  const std::string v = text(n, key);
  fhir::Versioning out;
  if (!fhir::parse_versioning(v, out)) fail(key, "'" + v + "' is not one of: versioned, version-update, no-version");
  return out;
}

void parse_fhir_settings(const YAML::Node& n, const std::string& p, fhir::ServiceSettings& s) {
  check_keys(n, p, {"versioning", "versioning_by_type", "default_count", "max_count", "max_resource_bytes", "audience",
                    "cors", "profile_validation", "max_bundle_entries", "batch_parallelism"});
  if (n.IsNull()) return;
  if (n["versioning"]) s.versioning = versioning(n["versioning"], join(p, "versioning"));
  if (const auto by_type = n["versioning_by_type"]) {
    const std::string bp = join(p, "versioning_by_type");
    if (!by_type.IsMap() && !by_type.IsNull()) fail(bp, "must be a mapping of resource type to versioning");
    if (by_type.IsMap())
      for (const auto& kv : by_type) {
        const std::string type = kv.first.as<std::string>();
        s.versioning_by_type[type] = versioning(kv.second, join(bp, type));
      }
  }
  read_int(n, p, "default_count", s.default_count, 1, kMaxPageCount);
  read_int(n, p, "max_count", s.max_count, 1, kMaxPageCount);
  read_size(n, p, "max_resource_bytes", s.max_resource_bytes, 1);
  read_int(n, p, "max_bundle_entries", s.max_bundle_entries, 1, kMaxBundleEntries);
  read_int(n, p, "batch_parallelism", s.batch_parallelism, 1, kMaxBatchParallelism);
  read_string(n, p, "audience", s.audience);
  if (n["profile_validation"]) {
    const std::string v = text(n["profile_validation"], join(p, "profile_validation"));
    if (v != "true" && v != "false") fail(join(p, "profile_validation"), "must be true or false");
    s.profile_validation = v == "true";
  }
  if (const auto cors = n["cors"]) {
    const std::string cp = join(p, "cors");
    check_keys(cors, cp, {"origins", "headers", "methods", "max_age_s", "allow_credentials"});
    if (cors["origins"]) s.cors.origins = string_list(cors["origins"], join(cp, "origins"));
    if (cors["headers"]) s.cors.headers = string_list(cors["headers"], join(cp, "headers"));
    if (cors["methods"]) s.cors.methods = string_list(cors["methods"], join(cp, "methods"));
    read_int(cors, cp, "max_age_s", s.cors.max_age_s, 0, 86400);
    if (cors["allow_credentials"]) {
      const std::string v = text(cors["allow_credentials"], join(cp, "allow_credentials"));
      if (v != "true" && v != "false") fail(join(cp, "allow_credentials"), "must be true or false");
      s.cors.allow_credentials = v == "true";
    }
  }
  if (auto problem = settings_problem(s, kConfigFieldNames)) fail(p, *problem);
}

void parse_cors(const YAML::Node& cors, const std::string& cp, CorsPolicy& out);

// DICOM service settings: overwrite (STOW of an existing instance replaces it), audience, cors,
// max_upload_bytes (largest STOW body).
void parse_dicom_settings(const YAML::Node& n, const std::string& p, dicom::DicomSettings& s) {
  check_keys(n, p, {"overwrite", "audience", "cors", "max_upload_bytes"});
  if (n.IsNull()) return;
  if (n["max_upload_bytes"])
    s.max_upload_bytes = static_cast<uint64_t>(integer(n["max_upload_bytes"], join(p, "max_upload_bytes"), 1, LLONG_MAX));
  if (n["overwrite"]) {
    const std::string v = text(n["overwrite"], join(p, "overwrite"));
    if (v != "true" && v != "false") fail(join(p, "overwrite"), "must be true or false");
    s.overwrite = v == "true";
  }
  read_string(n, p, "audience", s.audience);
  if (const auto cors = n["cors"]) parse_cors(cors, join(p, "cors"), s.cors);
}

void parse_cors(const YAML::Node& cors, const std::string& cp, CorsPolicy& out) {
  check_keys(cors, cp, {"origins", "headers", "methods", "max_age_s", "allow_credentials"});
  if (cors["origins"]) out.origins = string_list(cors["origins"], join(cp, "origins"));
  if (cors["headers"]) out.headers = string_list(cors["headers"], join(cp, "headers"));
  if (cors["methods"]) out.methods = string_list(cors["methods"], join(cp, "methods"));
  read_int(cors, cp, "max_age_s", out.max_age_s, 0, 86400);
  if (cors["allow_credentials"]) {
    const std::string v = text(cors["allow_credentials"], join(cp, "allow_credentials"));
    if (v != "true" && v != "false") fail(join(cp, "allow_credentials"), "must be true or false");
    out.allow_credentials = v == "true";
  }
}

ServiceConfig parse_service(const YAML::Node& n, const std::string& p) {
  if (!n.IsMap()) fail(p, "must be a mapping with kind, name and settings");
  check_keys(n, p, {"kind", "name", "settings"});
  ServiceConfig s;
  if (!n["kind"]) fail(join(p, "kind"), "is required (fhir)");
  const std::string kind = text(n["kind"], join(p, "kind"));
  if (kind == "fhir") s.kind = ServiceKind::Fhir;
  else if (kind == "dicom") s.kind = ServiceKind::Dicom;
  else if (kind == "medtech") s.kind = ServiceKind::Medtech;
  else fail(join(p, "kind"), "'" + kind + "' is not one of: fhir, dicom, medtech");
  if (!n["name"]) fail(join(p, "name"), "is required");
  s.name = text(n["name"], join(p, "name"));
  if (!is_valid_name(s.name)) fail(join(p, "name"), invalid_name_message("service", s.name));
  if (s.kind == ServiceKind::Medtech) {
    parse_medtech_settings(n["settings"], join(p, "settings"), s.medtech);
    return s;
  }
  if (n["settings"] && s.kind == ServiceKind::Dicom) parse_dicom_settings(n["settings"], join(p, "settings"), s.dicom);
  else if (n["settings"]) parse_fhir_settings(n["settings"], join(p, "settings"), s.fhir);
  return s;
}

WorkspaceConfig parse_workspace(const YAML::Node& n, const std::string& p) {
  if (!n.IsMap()) fail(p, "must be a mapping with name and services");
  check_keys(n, p, {"name", "services"});
  WorkspaceConfig w;
  if (!n["name"]) fail(join(p, "name"), "is required");
  w.name = text(n["name"], join(p, "name"));
  if (!is_valid_name(w.name)) fail(join(p, "name"), invalid_name_message("workspace", w.name));
  if (const auto services = n["services"]) {
    const std::string sp = join(p, "services");
    if (!services.IsSequence() && !services.IsNull()) fail(sp, "must be a list");
    std::set<std::string> seen;
    for (size_t i = 0; services.IsSequence() && i < services.size(); ++i) {
      ServiceConfig s = parse_service(services[i], indexed(sp, i));
      if (!seen.insert(service_kind_name(s.kind) + std::string("/") + s.name).second)
        fail(indexed(sp, i) + ".name", "duplicate " + std::string(service_kind_name(s.kind)) + " service '" + s.name + "'");
      w.services.push_back(std::move(s));
    }
  }
  return w;
}

}  // namespace

PlatformConfig parse_config(std::string_view yaml_text) {
  YAML::Node root;
  try {
    root = YAML::Load(std::string(yaml_text));
  } catch (const YAML::Exception& e) {
    throw std::runtime_error(std::string("config: not valid YAML: ") + e.what());
  }
  PlatformConfig c = default_config();
  check_keys(root, "", {"server", "data", "definitions", "log", "store", "search", "auth", "workspaces"});
  if (root.IsNull()) return c;
  if (root["server"]) parse_server(root["server"], c.server);
  read_string(root, "", "data", c.data_dir);
  read_string(root, "", "definitions", c.definitions_dir);
  if (root["log"]) parse_log(root["log"], c.log_level);
  if (root["store"]) parse_store(root["store"], c.store);
  if (root["search"]) parse_search(root["search"], c.search);
  if (root["auth"]) parse_auth(root["auth"], c.auth);
  if (const auto list = root["workspaces"]) {
    if (!list.IsSequence() && !list.IsNull()) fail("workspaces", "must be a list");
    c.workspaces.clear();
    std::set<std::string> seen;
    for (size_t i = 0; list.IsSequence() && i < list.size(); ++i) {
      WorkspaceConfig w = parse_workspace(list[i], indexed("workspaces", i));
      if (!seen.insert(w.name).second) fail(indexed("workspaces", i) + ".name", "duplicate workspace '" + w.name + "'");
      c.workspaces.push_back(std::move(w));
    }
  }
  return c;
}

PlatformConfig load_config(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("config: cannot read file '" + path + "'");
  std::stringstream buf;
  buf << in.rdbuf();
  try {
    return parse_config(buf.str());
  } catch (const std::runtime_error& e) {
    throw std::runtime_error(path + ": " + e.what());
  }
}

std::string PlatformConfig::public_url(int bound_port) const {
  if (!server.public_url.empty()) return server.public_url;
  std::string scheme = server.tls_cert_file.empty() ? "http://" : "https://";
  std::string host = server.host == "0.0.0.0" || server.host == "::" ? "127.0.0.1" : server.host;
  if (host.find(':') != std::string::npos) host = "[" + host + "]";
  return scheme + host + ":" + std::to_string(bound_port);
}

void apply_overrides(PlatformConfig& config, const ConfigOverrides& overrides) {
  if (overrides.host) config.server.host = *overrides.host;
  if (overrides.port) config.server.port = *overrides.port;
  if (overrides.data_dir) config.data_dir = *overrides.data_dir;
}

}  // namespace healthd::workspace
