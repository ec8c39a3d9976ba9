// Pieces of an Observation shared by building and merging (internal).
#pragma once

#include <string>
#include <vector>

#include "json/json.h"
#include "medtech/fhir_mapping.h"
#include "medtech/grouping.h"
#include "medtech/pipeline_error.h"

namespace healthd::medtech {

// {"coding": [template codes..., {system, code: name, display: name}], "text": name}
json::Value code_json(const std::string& name, const std::vector<Coding>& codes, const std::string& system,
                      json::Allocator& a);
json::Value categories_json(const std::vector<Category>& categories, json::Allocator& a);

// "valueSampledData", "valueQuantity", "valueString", "valueCodeableConcept".
const char* value_property(ValueKind kind);
// Removes every value[x] member of obj.
void remove_values(json::Value& obj);

// Builds the value of spec from values (time order) over the window; false with an error when
// it cannot be written. SampledData samples that are not numbers are left out (one error each).
bool value_json(const ValueSpec& spec, const std::vector<TimedValue>& values, int64_t start_us, int64_t end_us,
                const std::string& type, json::Allocator& a, json::Value& out, std::vector<PipelineError>& errors);

// The window of an existing Observation (effectiveDateTime or effectivePeriod); false if absent.
bool effective_window(const json::Value& obs, int64_t& start_us, int64_t& end_us);
// Sets effectiveDateTime (start == end) or effectivePeriod, removing the other.
void set_effective(json::Value& obs, int64_t start_us, int64_t end_us, json::Allocator& a);

}  // namespace healthd::medtech
