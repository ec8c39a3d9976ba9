// Normalization: one device message through a device mapping into measurements.
//
// Every template is tried against the message; each token its typeMatchExpression selects
// yields one measurement, or one error when a required part is missing (the other matches go on).
// CalculatedContent evaluates its other expressions on a copy of the input with the token added
// as `matchedToken`; the JsonPath kinds evaluate them on the token itself.
#pragma once

#include <cstdint>
#include <vector>

#include "json/json.h"
#include "medtech/device_mapping.h"
#include "medtech/measurement.h"
#include "medtech/pipeline_error.h"

namespace healthd::medtech {

// Turns a received message into the input templates see, in place: an object with a "Body"
// member is taken as the event envelope {Body, Properties, SystemProperties} already; anything
// else becomes {"Body": message, "Properties": {}, "SystemProperties": {}}.
void wrap_in_envelope(json::Document& message);

// Appends the measurements of one input (normally wrapped_in_envelope) to out and the problems
// to errors; a message no template matches gives one NoTemplateMatched error. Returns the
// number of measurements appended.
size_t normalize(const DeviceMapping& mapping, const json::Value& input, int64_t ingestion_us,
                 std::vector<Measurement>& out, std::vector<PipelineError>& errors);

}  // namespace healthd::medtech
