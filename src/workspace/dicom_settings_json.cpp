#include "workspace/dicom_settings_json.h"

#include "workspace/settings_json.h"

namespace healthd::workspace {

void add_dicom_settings_members(const dicom::DicomSettings& s, json::Value& obj, json::Allocator& a) {
  obj.AddMember("overwrite", s.overwrite, a);
  obj.AddMember("maxUploadBytes", json::Value(static_cast<uint64_t>(s.max_upload_bytes)), a);
  json::Value authn(rapidjson::kObjectType);
  authn.AddMember("audience", json::str(s.audience, a), a);
  obj.AddMember("authenticationConfiguration", authn, a);
  obj.AddMember("corsConfiguration", cors_configuration_json(s.cors, a), a);
}

bool read_dicom_settings(const json::Value& properties, dicom::DicomSettings& out, std::string& error) {
  if (!properties.IsObject()) {
    error = "properties: must be an object";
    return false;
  }
  dicom::DicomSettings s;
  for (const auto& m : properties.GetObject()) {
    const std::string name(m.name.GetString(), m.name.GetStringLength());
    const std::string field = "properties." + name;
    const json::Value& v = m.value;
    if (name == "provisioningState" || name == "serviceUrl") continue;
    if (name == "overwrite") {
      if (!v.IsBool()) {
        error = field + ": must be true or false";
        return false;
      }
      s.overwrite = v.GetBool();
    } else if (name == "maxUploadBytes") {
      if (!v.IsUint64() || v.GetUint64() == 0) {
        error = field + ": must be a positive integer (bytes)";
        return false;
      }
      s.max_upload_bytes = v.GetUint64();
    } else if (name == "authenticationConfiguration") {
      if (!v.IsObject()) {
        error = field + ": must be an object";
        return false;
      }
      for (const auto& am : v.GetObject()) {
        const std::string an(am.name.GetString(), am.name.GetStringLength());
        if (an == "audience") {
          if (!am.value.IsString()) {
            error = field + ".audience: must be a string";
            return false;
          }
          s.audience.assign(am.value.GetString(), am.value.GetStringLength());
        } else if (an != "authority") {
          error = field + "." + an + ": unknown property (known: audience)";
          return false;
        }
      }
    } else if (name == "corsConfiguration") {
      if (!read_cors_configuration(v, field, s.cors, error)) return false;
    } else {
      error = field + ": unknown property (known: overwrite, maxUploadBytes, authenticationConfiguration, corsConfiguration)";
      return false;
    }
  }
  out = std::move(s);
  return true;
}

}  // namespace healthd::workspace
