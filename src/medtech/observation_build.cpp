// Building a new Observation from an ObservationGroup.
#include <openssl/evp.h>

#include "medtech/observation.h"
#include "medtech/observation_parts.h"
#include "medtech/timestamp.h"

namespace healthd::medtech {

std::string observation_identifier_value(const ObservationGroup& g, const ResolvedIds& ids) {
  std::string v = ids.patient + "." + ids.device + "." + g.type + ".";
  if (g.correlation_id) return v + *g.correlation_id;
  return v + format_identifier_time(g.start_us) + "." + format_identifier_time(g.end_us);
}

std::string observation_id(const std::string& system, const std::string& value) {
  std::string input = system + "_" + value;
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_Digest(input.data(), input.size(), md, &len, EVP_sha256(), nullptr);
  static const char* hex = "0123456789abcdef";
  std::string out;
  out.reserve(len * 2);
  for (unsigned int i = 0; i < len; ++i) {
    out += hex[md[i] >> 4];
    out += hex[md[i] & 15];
  }
  return out;
}

namespace {

json::Value reference(const char* type, const std::string& id, json::Allocator& a) {
  json::Value o(rapidjson::kObjectType);
  o.AddMember("reference", json::str(std::string(type) + "/" + id, a), a);
  return o;
}

}  // namespace

std::optional<BuiltObservation> build_observation(const CodeValueTemplate& t, const ObservationGroup& g,
                                                  const ResolvedIds& ids, const ObservationOptions& options,
                                                  std::vector<PipelineError>& errors) {
  BuiltObservation out;
  out.identifier_value = observation_identifier_value(g, ids);
  out.id = observation_id(options.system, out.identifier_value);
  json::Document& d = out.resource;
  auto& a = d.GetAllocator();
  d.SetObject();
  d.AddMember("resourceType", "Observation", a);
  d.AddMember("id", json::str(out.id, a), a);
  json::Value identifier(rapidjson::kObjectType);
  identifier.AddMember("system", json::str(options.system, a), a);
  identifier.AddMember("value", json::str(out.identifier_value, a), a);
  json::Value identifiers(rapidjson::kArrayType);
  identifiers.PushBack(identifier, a);
  d.AddMember("identifier", identifiers, a);
  d.AddMember("status", "final", a);
  if (!t.categories.empty()) d.AddMember("category", categories_json(t.categories, a), a);
  d.AddMember("code", code_json(t.type_name, t.codes, options.system, a), a);
  d.AddMember("subject", reference("Patient", ids.patient, a), a);
  if (ids.encounter) d.AddMember("encounter", reference("Encounter", *ids.encounter, a), a);
  set_effective(d, g.start_us, g.end_us, a);
  d.AddMember("issued", json::str(format_timestamp(options.issued_us), a), a);
  d.AddMember("device", reference("Device", ids.device, a), a);

  bool ok = true;
  if (t.value) {
    auto it = g.values.find(t.value->value_name);
    if (it != g.values.end() && !it->second.empty()) {
      json::Value v;
      if (value_json(*t.value, it->second, g.start_us, g.end_us, t.type_name, a, v, errors))
        d.AddMember(json::Value(value_property(t.value->kind), a), v, a);
      else
        ok = false;
    }
  }
  json::Value components(rapidjson::kArrayType);
  for (const auto& c : t.components) {
    auto it = g.values.find(c.value.value_name);
    if (it == g.values.end() || it->second.empty()) continue;
    json::Value v;
    if (!value_json(c.value, it->second, g.start_us, g.end_us, t.type_name, a, v, errors)) {
      ok = false;
      continue;
    }
    json::Value comp(rapidjson::kObjectType);
    comp.AddMember("code", code_json(c.value.value_name, c.codes, options.system, a), a);
    comp.AddMember(json::Value(value_property(c.value.kind), a), v, a);
    components.PushBack(comp, a);
  }
  if (!components.Empty()) d.AddMember("component", components, a);
  if (!ok) return std::nullopt;
  return out;
}

}  // namespace healthd::medtech
