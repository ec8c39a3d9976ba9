#include "medtech/connector_metrics.h"

namespace healthd::medtech {

namespace {

metrics::Labels with(const std::string& connector, const char* key = nullptr, const char* value = nullptr) {
  metrics::Labels l{{"connector", connector}};
  if (key) l.emplace_back(key, value);
  return l;
}

const char* kSaved = "healthd_medtech_resources_saved_total";
const char* kSavedHelp = "FHIR resources the MedTech service saved, by outcome";

}  // namespace

ConnectorMetrics::ConnectorMetrics(const std::string& c)
    : incoming(metrics::counter("healthd_medtech_messages_incoming_total", "Device messages accepted", with(c))),
      normalized(metrics::counter("healthd_medtech_messages_normalized_total",
                                  "Device messages that gave at least one measurement", with(c))),
      measurements(metrics::counter("healthd_medtech_measurements_total", "Normalized measurements", with(c))),
      groups(metrics::counter("healthd_medtech_groups_total", "Measurement groups (Observation windows)", with(c))),
      created(metrics::counter(kSaved, kSavedHelp, with(c, "action", "created"))),
      updated(metrics::counter(kSaved, kSavedHelp, with(c, "action", "updated"))),
      noop(metrics::counter(kSaved, kSavedHelp, with(c, "action", "noop"))),
      normalize_seconds(metrics::histogram("healthd_medtech_normalize_seconds", "Normalize stage latency per batch",
                                           with(c))),
      group_seconds(metrics::histogram("healthd_medtech_group_seconds",
                                       "Group, transform and persist stage latency per batch", with(c))),
      connector_(c) {}

void ConnectorMetrics::error(const std::string& kind) const {
  metrics::counter("healthd_medtech_errors_total", "MedTech errors by kind", with(connector_, "kind", kind.c_str()))
      .inc();
}

}  // namespace healthd::medtech
