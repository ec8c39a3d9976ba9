#include "workspace/iot_settings_json.h"

#include "medtech/device_mapping.h"
#include "medtech/fhir_mapping.h"

namespace healthd::workspace {

namespace {

std::optional<std::string> joined(const std::vector<medtech::MappingError>& errors) {
  if (errors.empty()) return std::nullopt;
  std::string out;
  for (const auto& e : errors) out += (out.empty() ? "" : "; ") + medtech::to_string(e);
  return out;
}

// {"content": <mapping or its text>} -> the text.
bool read_content(const json::Value& holder, const std::string& key, std::string& text, std::string& why) {
  if (!holder.IsObject()) {
    why = key + ": must be an object {\"content\": <mapping>}";
    return false;
  }
  for (const auto& m : holder.GetObject()) {
    std::string_view name(m.name.GetString(), m.name.GetStringLength());
    if (name != "content") {
      why = key + "." + std::string(name) + ": unknown member (expected content)";
      return false;
    }
  }
  const json::Value* content = json::get_member(holder, "content");
  if (!content) {
    why = key + ".content: required";
    return false;
  }
  text = content->IsString() ? std::string(content->GetString(), content->GetStringLength()) : json::to_string(*content, true);
  return true;
}

void add_content(const std::string& text, const char* key, json::Value& props, json::Allocator& a) {
  json::Value holder(rapidjson::kObjectType);
  json::Document parsed;
  json::Value content;
  if (json::parse(text, parsed)) content.CopyFrom(parsed, a);
  else content = json::str(text, a);
  holder.AddMember("content", content, a);
  props.AddMember(json::Value(key, a), holder, a);
}

bool int_member(const json::Value& v, int& out) {
  if (!v.IsInt()) return false;
  out = v.GetInt();
  return true;
}

// {"mqtt": {"host", "port", "topics", "qos", "clientId", "username", "password", "keepAliveSeconds"}}
bool read_ingestion(const json::Value& config, medtech::MqttSettings& out, std::string& why) {
  const std::string base = "properties.ingestionEndpointConfiguration";
  if (!config.IsObject()) {
    why = base + ": must be an object {\"mqtt\": {...}}";
    return false;
  }
  for (const auto& m : config.GetObject()) {
    std::string_view name(m.name.GetString(), m.name.GetStringLength());
    if (name != "mqtt") {
      why = base + "." + std::string(name) +
            ": unknown member (healthd reads device messages from MQTT: {\"mqtt\": {...}}; Event Hubs are not supported)";
      return false;
    }
  }
  const json::Value* mqtt = json::get_member(config, "mqtt");
  if (!mqtt || mqtt->IsNull()) return true;
  const std::string p = base + ".mqtt";
  if (!mqtt->IsObject()) {
    why = p + ": must be an object";
    return false;
  }
  medtech::MqttSettings s;
  for (const auto& m : mqtt->GetObject()) {
    std::string_view name(m.name.GetString(), m.name.GetStringLength());
    const std::string field = p + "." + std::string(name);
    const json::Value& v = m.value;
    auto text = [&](std::string& target) {
      if (!v.IsString()) {
        why = field + ": must be a string";
        return false;
      }
      target.assign(v.GetString(), v.GetStringLength());
      return true;
    };
    auto number = [&](int& target) {
      if (!int_member(v, target)) {
        why = field + ": must be an integer";
        return false;
      }
      return true;
    };
    bool ok = true;
    if (name == "host") ok = text(s.host);
    else if (name == "port") ok = number(s.port);
    else if (name == "qos") ok = number(s.qos);
    else if (name == "clientId") ok = text(s.client_id);
    else if (name == "username") ok = text(s.username);
    else if (name == "password") ok = text(s.password);
    else if (name == "keepAliveSeconds") ok = number(s.keep_alive_s);
    else if (name == "topics") {
      if (!v.IsArray()) {
        why = field + ": must be an array of topic filters";
        return false;
      }
      for (const auto& t : v.GetArray()) {
        if (!t.IsString()) {
          why = field + ": must be an array of topic filters (strings)";
          return false;
        }
        s.topics.emplace_back(t.GetString(), t.GetStringLength());
      }
    } else {
      why = field + ": unknown member (host, port, topics, qos, clientId, username, password, keepAliveSeconds)";
      return false;
    }
    if (!ok) return false;
  }
  if (auto problem = medtech::mqtt_settings_problem(s)) {
    why = p + "." + problem->field + ": " + problem->reason;
    return false;
  }
  out = std::move(s);
  return true;
}

void add_mqtt(const medtech::MqttSettings& s, bool with_secrets, json::Value& props, json::Allocator& a) {
  json::Value mqtt(rapidjson::kObjectType);
  mqtt.AddMember("host", json::str(s.host, a), a);
  mqtt.AddMember("port", s.port, a);
  json::Value topics(rapidjson::kArrayType);
  for (const auto& t : s.topics) topics.PushBack(json::str(t, a), a);
  mqtt.AddMember("topics", topics, a);
  mqtt.AddMember("qos", s.qos, a);
  if (!s.client_id.empty()) mqtt.AddMember("clientId", json::str(s.client_id, a), a);
  if (!s.username.empty()) mqtt.AddMember("username", json::str(s.username, a), a);
  if (with_secrets && !s.password.empty()) mqtt.AddMember("password", json::str(s.password, a), a);
  mqtt.AddMember("keepAliveSeconds", s.keep_alive_s, a);
  json::Value config(rapidjson::kObjectType);
  config.AddMember("mqtt", mqtt, a);
  props.AddMember("ingestionEndpointConfiguration", config, a);
}

bool read_only(std::string_view name) {
  for (const char* m : {"provisioningState", "serviceUrl", "queueDepth", "deadLetters", "fhirDestinations"})
    if (name == m) return true;
  return false;
}

}  // namespace

std::optional<std::string> device_mapping_problem(std::string_view text) {
  return joined(medtech::DeviceMapping::parse(text).errors);
}

std::optional<std::string> fhir_mapping_problem(std::string_view text) {
  return joined(medtech::FhirMapping::parse(text).errors);
}

bool read_connector_properties(const json::Value& props, medtech::ConnectorSettings& out, std::string& why) {
  for (const auto& m : props.GetObject()) {
    std::string_view name(m.name.GetString(), m.name.GetStringLength());
    if (name == "deviceMapping") {
      if (!read_content(m.value, "properties.deviceMapping", out.device_mapping, why)) return false;
      if (auto problem = device_mapping_problem(out.device_mapping)) {
        why = "properties.deviceMapping.content: " + *problem;
        return false;
      }
    } else if (name == "queueLimit") {
      if (!m.value.IsUint64() || m.value.GetUint64() < 1) {
        why = "properties.queueLimit: must be a positive integer";
        return false;
      }
      out.queue_limit = static_cast<size_t>(m.value.GetUint64());
    } else if (name == "ingestionEndpointConfiguration") {
      if (!read_ingestion(m.value, out.mqtt, why)) return false;
    } else if (!read_only(name)) {
      why = "properties." + std::string(name) + ": unknown property of an IoT connector";
      return false;
    }
  }
  return true;
}

bool read_destination_properties(const json::Value& props, medtech::DestinationSettings& out, std::string& why) {
  bool has_service = false;
  for (const auto& m : props.GetObject()) {
    std::string_view name(m.name.GetString(), m.name.GetStringLength());
    if (name == "resourceIdentityResolutionType") {
      std::string v = m.value.IsString() ? m.value.GetString() : "";
      if (v == "Create") out.resolution = medtech::ResolutionType::Create;
      else if (v == "Lookup") out.resolution = medtech::ResolutionType::Lookup;
      else {
        why = "properties.resourceIdentityResolutionType: must be \"Create\" or \"Lookup\"";
        return false;
      }
    } else if (name == "fhirServiceResourceId") {
      if (!m.value.IsString() || m.value.GetStringLength() == 0) {
        why = "properties.fhirServiceResourceId: must be the name of a FHIR service of the workspace";
        return false;
      }
      // The cloud takes a resource id (".../fhirservices/<name>"): its last segment names the service.
      std::string v = m.value.GetString();
      out.fhir_service = v.substr(v.find_last_of('/') + 1);
      has_service = true;
    } else if (name == "fhirMapping") {
      if (!read_content(m.value, "properties.fhirMapping", out.fhir_mapping, why)) return false;
      if (auto problem = fhir_mapping_problem(out.fhir_mapping)) {
        why = "properties.fhirMapping.content: " + *problem;
        return false;
      }
    } else if (name != "provisioningState") {
      why = "properties." + std::string(name) + ": unknown property of a FHIR destination";
      return false;
    }
  }
  if (!has_service) {
    why = "properties.fhirServiceResourceId: required";
    return false;
  }
  return true;
}

void add_connector_members(const medtech::ConnectorSettings& s, json::Value& props, json::Allocator& a,
                           bool with_secrets) {
  add_content(s.device_mapping, "deviceMapping", props, a);
  props.AddMember("queueLimit", static_cast<uint64_t>(s.queue_limit), a);
  if (s.mqtt.enabled()) add_mqtt(s.mqtt, with_secrets, props, a);
}

void add_destination_members(const medtech::DestinationSettings& s, json::Value& props, json::Allocator& a) {
  props.AddMember("resourceIdentityResolutionType", json::Value(medtech::to_string(s.resolution), a), a);
  props.AddMember("fhirServiceResourceId", json::str(s.fhir_service, a), a);
  add_content(s.fhir_mapping, "fhirMapping", props, a);
}

}  // namespace healthd::workspace
