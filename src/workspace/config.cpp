#include "workspace/config.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <climits>
#include <fstream>
#include <initializer_list>
#include <set>
#include <sstream>
#include <stdexcept>

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
  c.workspaces.push_back(WorkspaceConfig{"default", {fhir}});
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
                    "read_timeout_s", "idle_timeout_s", "shutdown_grace_s", "gzip_min_bytes"});
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
}

void parse_store(const YAML::Node& n, StoreConfig& s) {
  const std::string p = "store";
  check_keys(n, p, {"synchronous", "max_batch", "cache_mb", "wal_autocheckpoint_pages", "compress_threshold",
                    "read_connections"});
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
  check_keys(n, p, {"versioning", "versioning_by_type", "default_count", "max_count", "max_resource_bytes"});
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
  if (auto problem = settings_problem(s, kConfigFieldNames)) fail(p, *problem);
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
  if (s.kind != ServiceKind::Fhir)
    fail(join(p, "kind"), kind + " services are not yet supported (they arrive in a later release)");
  if (n["settings"]) parse_fhir_settings(n["settings"], join(p, "settings"), s.fhir);
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
  check_keys(root, "", {"server", "data", "definitions", "log", "store", "workspaces"});
  if (root.IsNull()) return c;
  if (root["server"]) parse_server(root["server"], c.server);
  read_string(root, "", "data", c.data_dir);
  read_string(root, "", "definitions", c.definitions_dir);
  if (root["log"]) parse_log(root["log"], c.log_level);
  if (root["store"]) parse_store(root["store"], c.store);
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

void apply_overrides(PlatformConfig& config, const ConfigOverrides& overrides) {
  if (overrides.host) config.server.host = *overrides.host;
  if (overrides.port) config.server.port = *overrides.port;
  if (overrides.data_dir) config.data_dir = *overrides.data_dir;
}

}  // namespace healthd::workspace
