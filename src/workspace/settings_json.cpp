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
  obj.AddMember("profileValidation", s.profile_validation, a);
  obj.AddMember("maxBundleEntries", s.max_bundle_entries, a);
  obj.AddMember("batchParallelism", s.batch_parallelism, a);
  json::Value authn(rapidjson::kObjectType);
  authn.AddMember("audience", json::str(s.audience, a), a);
  obj.AddMember("authenticationConfiguration", authn, a);
  json::Value cors(rapidjson::kObjectType);
  auto list = [&](const std::vector<std::string>& items) {
    json::Value arr(rapidjson::kArrayType);
    for (const auto& i : items) arr.PushBack(json::str(i, a), a);
    return arr;
  };
  cors.AddMember("origins", list(s.cors.origins), a);
  cors.AddMember("headers", list(s.cors.headers), a);
  cors.AddMember("methods", list(s.cors.methods), a);
  cors.AddMember("maxAge", s.cors.max_age_s, a);
  cors.AddMember("allowCredentials", s.cors.allow_credentials, a);
  obj.AddMember("corsConfiguration", cors, a);
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

bool read_string_list(const json::Value& v, const std::string& field, std::vector<std::string>& out,
                      std::string& error) {
  if (!v.IsArray()) {
    error = field + ": must be an array of strings";
    return false;
  }
  out.clear();
  for (const auto& item : v.GetArray()) {
    if (!item.IsString()) {
      error = field + ": must be an array of strings";
      return false;
    }
    out.emplace_back(item.GetString(), item.GetStringLength());
  }
  return true;
}

// authenticationConfiguration: {audience} (authority and smartProxyEnabled are the cloud's; ignored).
bool read_authentication(const json::Value& v, const std::string& field, fhir::ServiceSettings& s, std::string& error) {
  if (!v.IsObject()) {
    error = field + ": must be an object";
    return false;
  }
  for (const auto& m : v.GetObject()) {
    const std::string name(m.name.GetString(), m.name.GetStringLength());
    if (name == "audience") {
      if (!m.value.IsString()) {
        error = field + ".audience: must be a string";
        return false;
      }
      s.audience.assign(m.value.GetString(), m.value.GetStringLength());
    } else if (name != "authority" && name != "smartProxyEnabled") {
      error = field + "." + name + ": unknown property (known: audience)";
      return false;
    }
  }
  return true;
}

// corsConfiguration: {origins, headers, methods, maxAge, allowCredentials}, as the cloud's.
bool read_cors(const json::Value& v, const std::string& field, CorsPolicy& c, std::string& error) {
  if (!v.IsObject()) {
    error = field + ": must be an object";
    return false;
  }
  for (const auto& m : v.GetObject()) {
    const std::string name(m.name.GetString(), m.name.GetStringLength());
    const std::string f = field + "." + name;
    int64_t n = 0;
    if (name == "origins") {
      if (!read_string_list(m.value, f, c.origins, error)) return false;
    } else if (name == "headers") {
      if (!read_string_list(m.value, f, c.headers, error)) return false;
    } else if (name == "methods") {
      if (!read_string_list(m.value, f, c.methods, error)) return false;
    } else if (name == "maxAge") {
      if (m.value.IsNull()) continue;
      if (!read_int(m.value, f, 0, 86400, n, error)) return false;
      c.max_age_s = static_cast<int>(n);
    } else if (name == "allowCredentials") {
      if (!m.value.IsBool()) {
        error = f + ": must be true or false";
        return false;
      }
      c.allow_credentials = m.value.GetBool();
    } else {
      error = f + ": unknown property (known: origins, headers, methods, maxAge, allowCredentials)";
      return false;
    }
  }
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
    } else if (name == "profileValidation") {
      if (!v.IsBool()) {
        error = field + ": must be true or false";
        return false;
      }
      s.profile_validation = v.GetBool();
    } else if (name == "maxBundleEntries") {
      if (!read_int(v, field, 1, kMaxBundleEntries, n, error)) return false;
      s.max_bundle_entries = static_cast<int>(n);
    } else if (name == "batchParallelism") {
      if (!read_int(v, field, 1, kMaxBatchParallelism, n, error)) return false;
      s.batch_parallelism = static_cast<int>(n);
    } else if (name == "authenticationConfiguration") {
      if (!read_authentication(v, field, s, error)) return false;
    } else if (name == "corsConfiguration") {
      if (!read_cors(v, field, s.cors, error)) return false;
    } else {
      error = field + ": unknown property (known: versioning, versioningByType, defaultCount, maxCount, "
              "maxResourceBytes, profileValidation, maxBundleEntries, authenticationConfiguration, corsConfiguration)";
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

json::Value cors_configuration_json(const CorsPolicy& c, json::Allocator& a) {
  auto list = [&](const std::vector<std::string>& items) {
    json::Value arr(rapidjson::kArrayType);
    for (const auto& i : items) arr.PushBack(json::str(i, a), a);
    return arr;
  };
  json::Value cors(rapidjson::kObjectType);
  cors.AddMember("origins", list(c.origins), a);
  cors.AddMember("headers", list(c.headers), a);
  cors.AddMember("methods", list(c.methods), a);
  cors.AddMember("maxAge", c.max_age_s, a);
  cors.AddMember("allowCredentials", c.allow_credentials, a);
  return cors;
}

bool read_cors_configuration(const json::Value& v, const std::string& field, CorsPolicy& out, std::string& error) {
  return read_cors(v, field, out, error);
}

}  // namespace healthd::workspace
