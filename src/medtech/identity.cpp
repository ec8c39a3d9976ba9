#include "medtech/identity.h"

#include "medtech/observation.h"

namespace healthd::medtech {

namespace {

// "Patient/abc" -> "abc" when the reference is to a Patient.
std::optional<std::string> patient_of(const json::Value& device) {
  const json::Value* patient = json::get_member(device, "patient");
  if (!patient) return std::nullopt;
  auto ref = json::get_string(*patient, "reference");
  if (!ref || !ref->starts_with("Patient/")) return std::nullopt;
  return std::string(ref->substr(8));
}

std::string identified(const std::string& type, const std::string& id, const std::string& identifier,
                       const std::string& extra_members) {
  json::Document d(rapidjson::kObjectType);
  auto& a = d.GetAllocator();
  d.AddMember("resourceType", json::str(type, a), a);
  d.AddMember("id", json::str(id, a), a);
  json::Value ident(rapidjson::kArrayType), one(rapidjson::kObjectType);
  one.AddMember("value", json::str(identifier, a), a);
  ident.PushBack(one, a);
  d.AddMember("identifier", ident, a);
  std::string text = json::to_string(d);
  if (!extra_members.empty()) text.insert(text.size() - 1, "," + extra_members);
  return text;
}

}  // namespace

std::string identity_resource_id(const std::string& type, const std::string& identifier) {
  return observation_id(type, identifier);  // SHA-256 of "{type}_{identifier}"
}

std::optional<std::string> IdentityResolver::find(const std::string& type, const std::string& identifier,
                                                  json::Document* resource, IdentityFailure& failure, bool& multiple) {
  multiple = false;
  // The FHIR service's own search interaction: GET {type}?identifier={identifier}.
  auto found = client_.search_identifier(type, identifier);
  if (found.empty()) return std::nullopt;
  if (found.size() > 1) {
    multiple = true;
    failure = {"MultipleResourcesFound",
               std::to_string(found.size()) + "+ " + type + " resources have identifier '" + identifier + "'"};
    return std::nullopt;
  }
  auto id = json::get_string(found[0], "id");
  if (!id) throw TransientError("search " + type + "?identifier answered a resource without id");
  if (resource) resource->CopyFrom(found[0], resource->GetAllocator());
  return std::string(*id);
}

bool IdentityResolver::encounter(const MeasurementGroup& g, ResolvedIds& ids, IdentityFailure& failure) {
  if (!g.encounter_id) return true;
  bool multiple = false;
  auto id = find("Encounter", *g.encounter_id, nullptr, failure, multiple);
  if (multiple) return false;
  if (!id) {
    failure = {"EncounterNotFound", "no Encounter has identifier '" + *g.encounter_id + "'"};
    return false;
  }
  ids.encounter = *id;
  return true;
}

std::optional<ResolvedIds> IdentityResolver::lookup(const MeasurementGroup& g, IdentityFailure& failure) {
  json::Document device;
  bool multiple = false;
  auto device_id = find("Device", g.device_id, &device, failure, multiple);
  if (multiple) return std::nullopt;
  if (!device_id) {
    failure = {"DeviceNotFound", "no Device has identifier '" + g.device_id + "' (identity resolution Lookup)"};
    return std::nullopt;
  }
  auto patient = patient_of(device);
  if (!patient) {
    failure = {"PatientNotFound", "Device/" + *device_id + " (identifier '" + g.device_id + "') has no patient"};
    return std::nullopt;
  }
  return ResolvedIds{*patient, *device_id, std::nullopt};
}

std::optional<ResolvedIds> IdentityResolver::create(const MeasurementGroup& g, IdentityFailure& failure) {
  if (!g.patient_id || g.patient_id->empty()) {
    failure = {"PatientIdMissing", "device '" + g.device_id +
                                       "': the measurements carry no patient id (identity resolution Create needs one)"};
    return std::nullopt;
  }
  bool multiple = false;
  auto patient = find("Patient", *g.patient_id, nullptr, failure, multiple);
  if (multiple) return std::nullopt;
  if (!patient) {
    patient = identity_resource_id("Patient", *g.patient_id);
    if (write_) {
      std::string why;
      int status = client_.put("Patient", *patient, identified("Patient", *patient, *g.patient_id, ""), std::nullopt, &why);
      if (status != 200 && status != 201) {
        failure = {"InvalidResource", "creating Patient '" + *g.patient_id + "' failed (" + std::to_string(status) + "): " + why};
        return std::nullopt;
      }
    }
  }
  json::Document device;
  auto device_id = find("Device", g.device_id, &device, failure, multiple);
  if (multiple) return std::nullopt;
  if (device_id) {
    auto linked = patient_of(device);
    if (linked && *linked != *patient) {
      failure = {"PatientDeviceMismatch", "Device '" + g.device_id + "' is linked to Patient/" + *linked +
                                              ", not to the patient '" + *g.patient_id + "' (Patient/" + *patient + ")"};
      return std::nullopt;
    }
  } else {
    device_id = identity_resource_id("Device", g.device_id);
    if (write_) {
      std::string why;
      const std::string link = R"("patient":{"reference":"Patient/)" + *patient + R"("})";
      int status = client_.put("Device", *device_id, identified("Device", *device_id, g.device_id, link), std::nullopt, &why);
      if (status != 200 && status != 201) {
        failure = {"InvalidResource", "creating Device '" + g.device_id + "' failed (" + std::to_string(status) + "): " + why};
        return std::nullopt;
      }
    }
  }
  return ResolvedIds{*patient, *device_id, std::nullopt};
}

std::optional<ResolvedIds> IdentityResolver::resolve(const MeasurementGroup& g, IdentityFailure& failure) {
  const std::string key = g.device_id + '\x1f' + g.patient_id.value_or("") + '\x1f' + g.encounter_id.value_or("");
  if (auto it = cache_.find(key); it != cache_.end()) return it->second;
  auto ids = type_ == ResolutionType::Create ? create(g, failure) : lookup(g, failure);
  if (!ids || !encounter(g, *ids, failure)) return std::nullopt;
  if (write_ || type_ == ResolutionType::Lookup) cache_.emplace(key, *ids);
  return ids;
}

}  // namespace healthd::medtech
