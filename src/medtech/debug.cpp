#include "medtech/debug.h"

#include "medtech/device_mapping.h"
#include "medtech/fhir_mapping.h"
#include "medtech/json_source.h"
#include "medtech/normalize.h"

namespace healthd::medtech {

namespace {

void add_mapping_errors(const char* stage, const std::vector<MappingError>& errors, json::Value& out,
                        json::Allocator& a) {
  for (const auto& e : errors) {
    json::Value o(rapidjson::kObjectType);
    o.AddMember("stage", json::Value(stage, a), a);
    o.AddMember("kind", "InvalidMapping", a);
    o.AddMember("message", json::str(e.message, a), a);
    if (e.line > 0) {
      o.AddMember("line", static_cast<uint64_t>(e.line), a);
      o.AddMember("column", static_cast<uint64_t>(e.column), a);
    }
    o.AddMember("path", json::str(e.path, a), a);
    out.PushBack(o, a);
  }
}

std::optional<ResolvedIds> default_resolve(const MeasurementGroup& g, std::string* reason) {
  if (!g.patient_id) {
    *reason = "device '" + g.device_id +
              "': the measurements carry no patient id (the service takes it from the Device in Lookup mode)";
    return std::nullopt;
  }
  return ResolvedIds{*g.patient_id, g.device_id, g.encounter_id};
}

}  // namespace

json::Document debug(const DebugRequest& request) {
  json::Document out(rapidjson::kObjectType);
  auto& a = out.GetAllocator();
  json::Value measurements(rapidjson::kArrayType), observations(rapidjson::kArrayType), errors(rapidjson::kArrayType);
  std::vector<PipelineError> problems;

  auto device = DeviceMapping::parse(request.device_mapping);
  add_mapping_errors("deviceMapping", device.errors, errors, a);
  std::shared_ptr<const FhirMapping> fhir;
  if (!request.fhir_mapping.empty()) {
    auto loaded = FhirMapping::parse(request.fhir_mapping);
    add_mapping_errors("fhirMapping", loaded.errors, errors, a);
    fhir = loaded.mapping;
  }

  std::vector<Measurement> normalized;
  JsonSource message;
  MappingError syntax;
  if (!message.parse(request.message, &syntax)) {
    syntax.message = "the message is not JSON: " + syntax.message;
    add_mapping_errors("message", {syntax}, errors, a);
  } else if (device.mapping) {
    json::Document input;
    input.CopyFrom(message.document(), input.GetAllocator());
    if (request.envelope) wrap_in_envelope(input);
    normalize(*device.mapping, input, request.now_us, normalized, problems);
  }
  for (const auto& m : normalized) measurements.PushBack(to_json(m, a), a);

  if (fhir) {
    ObservationOptions options{request.system, request.now_us};
    for (const auto& group : group_measurements(normalized)) {
      const CodeValueTemplate* t = fhir->find(group.type);
      if (!t) {
        problems.push_back(PipelineError{"transform", error_kind::kTemplateNotFound,
                                         "no CodeValueFhir template for type '" + group.type + "'", group.type, -1, -1});
        continue;
      }
      std::string reason;
      auto ids = request.resolve ? request.resolve(group, &reason) : default_resolve(group, &reason);
      if (!ids) {
        problems.push_back(PipelineError{"transform", error_kind::kIdentityNotResolved, reason, group.type, -1, -1});
        continue;
      }
      for (const auto& og : observation_groups(*t, group, problems)) {
        if (auto obs = build_observation(*t, og, *ids, options, problems)) {
          json::Value v;
          v.CopyFrom(obs->resource, a);
          observations.PushBack(v, a);
        }
      }
    }
  }
  for (const auto& e : problems) errors.PushBack(to_json(e, a), a);
  out.AddMember("measurements", measurements, a);
  out.AddMember("observations", observations, a);
  out.AddMember("errors", errors, a);
  return out;
}

}  // namespace healthd::medtech
