// JSON forms of measurements and pipeline errors (the $debug answer, dead letters).
#include "medtech/measurement.h"
#include "medtech/pipeline_error.h"
#include "medtech/timestamp.h"

namespace healthd::medtech {

json::Value to_json(const Measurement& m, json::Allocator& a) {
  json::Value o(rapidjson::kObjectType);
  o.AddMember("type", json::str(m.type, a), a);
  o.AddMember("occurrenceTimeUtc", json::str(format_timestamp(m.occurrence_us), a), a);
  if (m.ingestion_us != 0) o.AddMember("ingestionTimeUtc", json::str(format_timestamp(m.ingestion_us), a), a);
  o.AddMember("deviceId", json::str(m.device_id, a), a);
  if (m.patient_id) o.AddMember("patientId", json::str(*m.patient_id, a), a);
  if (m.encounter_id) o.AddMember("encounterId", json::str(*m.encounter_id, a), a);
  if (m.correlation_id) o.AddMember("correlationId", json::str(*m.correlation_id, a), a);
  json::Value props(rapidjson::kArrayType);
  for (const auto& [name, value] : m.values) {
    json::Value p(rapidjson::kObjectType);
    p.AddMember("name", json::str(name, a), a);
    p.AddMember("value", json::str(value, a), a);
    props.PushBack(p, a);
  }
  o.AddMember("properties", props, a);
  return o;
}

json::Value to_json(const PipelineError& e, json::Allocator& a) {
  json::Value o(rapidjson::kObjectType);
  o.AddMember("stage", json::str(e.stage, a), a);
  o.AddMember("kind", json::str(e.kind, a), a);
  o.AddMember("message", json::str(e.message, a), a);
  if (!e.type_name.empty()) o.AddMember("typeName", json::str(e.type_name, a), a);
  if (e.template_index >= 0) o.AddMember("templateIndex", e.template_index, a);
  if (e.match_index >= 0) o.AddMember("matchIndex", e.match_index, a);
  return o;
}

}  // namespace healthd::medtech
