#include "workspace/config_medtech.h"

#include <fstream>
#include <set>
#include <sstream>
#include <stdexcept>

#include "workspace/iot_settings_json.h"
#include "workspace/names.h"

namespace healthd::workspace {

namespace {

[[noreturn]] void fail(const std::string& key, const std::string& what) {
  throw std::runtime_error("config: " + key + ": " + what);
}

std::string scalar(const YAML::Node& n, const std::string& key) {
  if (!n.IsScalar()) fail(key, "must be a single value");
  return n.Scalar();
}

void only_keys(const YAML::Node& n, const std::string& path, const std::set<std::string>& allowed) {
  if (!n.IsMap()) fail(path, "must be a mapping");
  for (const auto& kv : n) {
    std::string key = kv.first.as<std::string>();
    if (!allowed.count(key)) fail(path + "." + key, "unknown key");
  }
}

// `<key>` (inline JSON text) or `<key>_file` (a path); returns false when neither is given.
bool mapping(const YAML::Node& n, const std::string& path, const std::string& key, std::string& out) {
  if (n[key] && n[key + "_file"]) fail(path + "." + key, "give either " + key + " or " + key + "_file");
  if (n[key]) {
    out = scalar(n[key], path + "." + key);
    return true;
  }
  if (!n[key + "_file"]) return false;
  const std::string file = scalar(n[key + "_file"], path + "." + key + "_file");
  std::ifstream in(file, std::ios::binary);
  if (!in) fail(path + "." + key + "_file", "cannot read '" + file + "'");
  std::stringstream buf;
  buf << in.rdbuf();
  out = buf.str();
  return true;
}

int integer(const YAML::Node& n, const std::string& key) {
  try {
    return n.as<int>();
  } catch (const YAML::Exception&) {
    fail(key, "must be an integer");
  }
}

// The management API's field names (in problems) -> the config file's keys.
std::string config_key(const std::string& field) {
  if (field == "clientId") return "client_id";
  if (field == "keepAliveSeconds") return "keep_alive_seconds";
  return field;
}

void parse_mqtt(const YAML::Node& n, const std::string& p, medtech::MqttSettings& out) {
  only_keys(n, p, {"host", "port", "topics", "qos", "client_id", "username", "password", "keep_alive_seconds"});
  if (n["host"]) out.host = scalar(n["host"], p + ".host");
  if (n["port"]) out.port = integer(n["port"], p + ".port");
  if (n["qos"]) out.qos = integer(n["qos"], p + ".qos");
  if (n["client_id"]) out.client_id = scalar(n["client_id"], p + ".client_id");
  if (n["username"]) out.username = scalar(n["username"], p + ".username");
  if (n["password"]) out.password = scalar(n["password"], p + ".password");
  if (n["keep_alive_seconds"]) out.keep_alive_s = integer(n["keep_alive_seconds"], p + ".keep_alive_seconds");
  if (const auto topics = n["topics"]) {
    if (topics.IsScalar()) out.topics.push_back(topics.Scalar());
    else if (topics.IsSequence())
      for (size_t i = 0; i < topics.size(); ++i)
        out.topics.push_back(scalar(topics[i], p + ".topics[" + std::to_string(i) + "]"));
    else fail(p + ".topics", "must be a list of topic filters");
  }
  if (auto problem = medtech::mqtt_settings_problem(out)) fail(p + "." + config_key(problem->field), problem->reason);
}

}  // namespace

void parse_medtech_settings(const YAML::Node& n, const std::string& p, medtech::ConnectorSettings& out) {
  if (!n || n.IsNull()) return;
  only_keys(n, p, {"device_mapping", "device_mapping_file", "queue_limit", "mqtt", "destinations"});
  if (n["mqtt"]) parse_mqtt(n["mqtt"], p + ".mqtt", out.mqtt);
  if (mapping(n, p, "device_mapping", out.device_mapping))
    if (auto problem = device_mapping_problem(out.device_mapping)) fail(p + ".device_mapping", *problem);
  if (n["queue_limit"]) {
    long long v = 0;
    try {
      v = n["queue_limit"].as<long long>();
    } catch (const YAML::Exception&) {
      fail(p + ".queue_limit", "must be an integer");
    }
    if (v < 1) fail(p + ".queue_limit", "must be at least 1");
    out.queue_limit = static_cast<size_t>(v);
  }
  if (const auto list = n["destinations"]) {
    if (!list.IsSequence()) fail(p + ".destinations", "must be a list");
    for (size_t i = 0; i < list.size(); ++i) {
      const std::string dp = p + ".destinations[" + std::to_string(i) + "]";
      const YAML::Node d = list[i];
      only_keys(d, dp, {"name", "fhir_service", "resolution", "fhir_mapping", "fhir_mapping_file"});
      medtech::DestinationSettings dest;
      if (!d["name"]) fail(dp + ".name", "is required");
      const std::string name = scalar(d["name"], dp + ".name");
      if (!is_valid_name(name)) fail(dp + ".name", invalid_name_message("destination", name));
      if (!d["fhir_service"]) fail(dp + ".fhir_service", "is required (a FHIR service of this workspace)");
      dest.fhir_service = scalar(d["fhir_service"], dp + ".fhir_service");
      if (d["resolution"]) {
        const std::string r = scalar(d["resolution"], dp + ".resolution");
        if (r == "Create") dest.resolution = medtech::ResolutionType::Create;
        else if (r == "Lookup") dest.resolution = medtech::ResolutionType::Lookup;
        else fail(dp + ".resolution", "must be Create or Lookup");
      }
      dest.fhir_mapping = medtech::kEmptyFhirMapping;
      if (mapping(d, dp, "fhir_mapping", dest.fhir_mapping))
        if (auto problem = fhir_mapping_problem(dest.fhir_mapping)) fail(dp + ".fhir_mapping", *problem);
      if (!out.destinations.emplace(name, dest).second) fail(dp + ".name", "duplicate destination '" + name + "'");
    }
  }
}

}  // namespace healthd::workspace
