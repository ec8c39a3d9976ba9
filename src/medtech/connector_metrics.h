// The counters of one MedTech service at /metrics, labelled connector="<ws>/<name>":
//   healthd_medtech_messages_incoming_total, healthd_medtech_messages_normalized_total,
//   healthd_medtech_measurements_total, healthd_medtech_groups_total,
//   healthd_medtech_resources_saved_total{action="created|updated|noop"},
//   healthd_medtech_errors_total{kind}, healthd_medtech_normalize_seconds, healthd_medtech_group_seconds.
#pragma once

#include <string>

#include "common/metrics.h"

namespace healthd::medtech {

struct ConnectorMetrics {
  explicit ConnectorMetrics(const std::string& connector);

  metrics::Counter& incoming;
  metrics::Counter& normalized;
  metrics::Counter& measurements;
  metrics::Counter& groups;
  metrics::Counter& created;
  metrics::Counter& updated;
  metrics::Counter& noop;
  metrics::Histogram& normalize_seconds;
  metrics::Histogram& group_seconds;

  // healthd_medtech_errors_total{connector, kind}
  void error(const std::string& kind) const;

 private:
  std::string connector_;
};

}  // namespace healthd::medtech
