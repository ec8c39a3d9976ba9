// A normalized measurement: what a device mapping extracts from one match in a device message.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "json/json.h"

namespace healthd::medtech {

struct Measurement {
  std::string type;
  std::string device_id;
  std::optional<std::string> patient_id, encounter_id, correlation_id;
  int64_t occurrence_us = 0;  // microseconds since the epoch, UTC
  int64_t ingestion_us = 0;   // when the message was accepted; 0 when unknown
  std::vector<std::pair<std::string, std::string>> values;  // (valueName, value) in template order
};

// {"type", "occurrenceTimeUtc", "ingestionTimeUtc"?, "deviceId", "patientId"?, "encounterId"?,
//  "correlationId"?, "properties": [{"name", "value"}]}
json::Value to_json(const Measurement& m, json::Allocator& a);

}  // namespace healthd::medtech
