// Grouping: measurements gathered per device/type/patient/encounter/correlation id, then cut
// into the Observation windows of the type's CodeValueFhir template.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "medtech/fhir_mapping.h"
#include "medtech/measurement.h"
#include "medtech/pipeline_error.h"

namespace healthd::medtech {

// The measurements of one {DeviceId}-{Type}-{PatientId}-{EncounterId}-{CorrelationId} key, in the
// order they were given (ingestion order). Identity resolution works on these.
struct MeasurementGroup {
  std::string device_id, type;
  std::optional<std::string> patient_id, encounter_id, correlation_id;
  std::vector<const Measurement*> measurements;  // point into the vector given to group_measurements
};

// Groups in order of first appearance.
std::vector<MeasurementGroup> group_measurements(const std::vector<Measurement>& measurements);

struct TimedValue {
  int64_t time_us = 0;
  std::string value;
};

// The data of one Observation: its window and, per valueName, the values in time order (one per
// instant: of two measurements at the same time the later-ingested one is kept).
struct ObservationGroup {
  std::string type;
  int64_t start_us = 0, end_us = 0;           // inclusive window
  std::optional<std::string> correlation_id;  // set for periodInterval -1: the identifier segment
  std::map<std::string, std::vector<TimedValue>> values;
};

// The windows of one measurement group under its template: periodInterval 60 / 1440 give the UTC
// hour / day containing each measurement ([start, start + period - 1 µs]); 0 the instant; -1 one
// window from the first to the last measurement of the correlation id (an error when the
// measurements have none). A template with a non-SampledData value gives one group per
// measurement instant whatever its periodInterval. Windows come out ordered by start.
std::vector<ObservationGroup> observation_groups(const CodeValueTemplate& t, const MeasurementGroup& group,
                                                 std::vector<PipelineError>& errors);

}  // namespace healthd::medtech
