#include "workspace/settings_json.h"

#include <cstdint>

#include "workspace/settings_rules.h"

namespace healthd::workspace {

void add_settings_members(const fhir::ServiceSettings& s, json::Value& obj, json::Allocator& a) {
  obj.AddMember("versioning", json::str(fhir::versioning_name(s.versioning), a), a);
  json::Value by_type(rapidjson::kObjectType);
  for (const auto& [type, v] : s.versioning_by_type)
    by_type.AddMember(json::str(type, a), json::str(fhir::versioning_name(v), a), a);
  obj.AddMember("versioningByType", by_type, a);
  obj.AddMember("defaultCount", s.default_count, a);
  obj.AddMember("maxCount", s.max_count, a);
  obj.AddMember("maxResourceBytes", static_cast<uint64_t>(s.max_resource_bytes), a);
}

namespace {

const char* kVersioningChoices = "versioned, version-update, no-version";

bool read_versioning(const json::Value& v, const std::string& field, fhir::Versioning& out, std::string& error) {
  if (!v.IsString() || !fhir::parse_versioning(v.GetString(), out)) {
    error = field + ": must be one of " + kVersioningChoices;
    return false;
  }
  return true;
}

bool read_int(const json::Value& v, const std::string& field, int64_t min, int64_t max, int64_t& out,
              std::string& error) {
  if (!v.IsInt64() || v.GetInt64() < min || v.GetInt64() > max) {
    error = field + ": must be an integer between " + std::to_string(min) + " and " + std::to_string(max);
    return false;
  }
  out = v.GetInt64();
  return true;
}

}  // namespace

bool read_settings(const json::Value& properties, fhir::ServiceSettings& out, std::string& error,
                   const std::function<bool(std::string_view)>& is_resource_type) {
  if (!properties.IsObject()) {
    error = "properties: must be an object";
    return false;
  }
  fhir::ServiceSettings s;
  for (const auto& m : properties.GetObject()) {
    const std::string name(m.name.GetString(), m.name.GetStringLength());
    const std::string field = "properties." + name;
    const json::Value& v = m.value;
    int64_t n = 0;
    if (name == "provisioningState" || name == "serviceUrl") {
      continue;  // read-only: a GET answer may be PUT back as is
    } else if (name == "versioning") {
      if (!read_versioning(v, field, s.versioning, error)) return false;
    } else if (name == "versioningByType") {
      if (!v.IsObject()) {
        error = field + ": must be an object of resource type to versioning";
        return false;
      }
      for (const auto& t : v.GetObject()) {
        const std::string type(t.name.GetString(), t.name.GetStringLength());
        if (is_resource_type && !is_resource_type(type)) {
          error = field + "." + type + ": not a FHIR R4 resource type";
          return false;
        }
        if (!read_versioning(t.value, field + "." + type, s.versioning_by_type[type], error)) return false;
      }
    } else if (name == "defaultCount") {
      if (!read_int(v, field, 1, kMaxPageCount, n, error)) return false;
      s.default_count = static_cast<int>(n);
    } else if (name == "maxCount") {
      if (!read_int(v, field, 1, kMaxPageCount, n, error)) return false;
      s.max_count = static_cast<int>(n);
    } else if (name == "maxResourceBytes") {
      if (!read_int(v, field, 1, INT64_MAX, n, error)) return false;
      s.max_resource_bytes = static_cast<size_t>(n);
    } else {
      error = field + ": unknown property (known: versioning, versioningByType, defaultCount, maxCount, "
              "maxResourceBytes)";
      return false;
    }
  }
  if (auto problem = settings_problem(s, kApiFieldNames)) {
    error = "properties." + *problem;
    return false;
  }
  out = std::move(s);
  return true;
}

}  // namespace healthd::workspace
