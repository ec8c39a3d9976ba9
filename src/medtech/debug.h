// The mapping debugger behind `POST {ws}/medtech/{name}/$debug` and `healthd medtech debug`:
// device mapping + FHIR destination mapping + one message -> normalized measurements and the
// Observations they would become, with every problem found on the way. Writes nothing.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>

#include "json/json.h"
#include "medtech/grouping.h"
#include "medtech/observation.h"

namespace healthd::medtech {

struct DebugRequest {
  std::string_view device_mapping;  // JSON text
  std::string_view fhir_mapping;    // JSON text; empty: measurements only
  std::string_view message;         // JSON text of one device message (envelope optional)
  bool envelope = true;             // wrap a plain message as {Body, Properties, SystemProperties}
  int64_t now_us = 0;               // ingestion time and Observation.issued
  std::string system = kMedTechSystem;
  // Resource ids for a measurement group (read-only lookups in the service). nullopt with a
  // reason when they cannot be found. Default: the group's own device and patient identifiers
  // stand for the resource ids; a group without a patient id is an error.
  std::function<std::optional<ResolvedIds>(const MeasurementGroup&, std::string* reason)> resolve;
};

// {"measurements": [...], "observations": [...], "errors": [...]}. Mapping errors carry
// "stage": "deviceMapping" / "fhirMapping" with "line", "column" and "path"; a message that is
// not JSON gives one "message" stage error. Valid templates still run when others are invalid.
json::Document debug(const DebugRequest& request);

}  // namespace healthd::medtech
