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

void add_connector_members(const medtech::ConnectorSettings& s, json::Value& props, json::Allocator& a) {
  add_content(s.device_mapping, "deviceMapping", props, a);
  props.AddMember("queueLimit", static_cast<uint64_t>(s.queue_limit), a);
}

void add_destination_members(const medtech::DestinationSettings& s, json::Value& props, json::Allocator& a) {
  props.AddMember("resourceIdentityResolutionType", json::Value(medtech::to_string(s.resolution), a), a);
  props.AddMember("fhirServiceResourceId", json::str(s.fhir_service, a), a);
  add_content(s.fhir_mapping, "fhirMapping", props, a);
}

}  // namespace healthd::workspace
