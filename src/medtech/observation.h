// Transform: an ObservationGroup into a FHIR R4 Observation (JSON), and merging newer data into
// an Observation already stored.
//
//   ResolvedIds ids{patient_resource_id, device_resource_id, encounter_resource_id};
//   auto obs = build_observation(t, group, ids, options, errors);   // PUT Observation/{obs.id}
//   ... or, when Observation/{id} exists:
//   if (merge_observation(t, group, existing, options, errors)) ... write it (status amended) ...
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "json/json.h"
#include "medtech/fhir_mapping.h"
#include "medtech/grouping.h"
#include "medtech/pipeline_error.h"

namespace healthd::medtech {

// The identifier system the IoMT connector and the cloud MedTech service stamp on Observations,
// and on the extra coding of Observation.code / component.code.
inline constexpr const char* kMedTechSystem = "https://azure.microsoft.com/en-us/services/iomt-fhir-connector/";

// Resource ids (not identifiers) of the Patient, Device and Encounter, as identity resolution
// found or created them.
struct ResolvedIds {
  std::string patient, device;
  std::optional<std::string> encounter;
};

struct ObservationOptions {
  std::string system = kMedTechSystem;
  int64_t issued_us = 0;  // Observation.issued (now)
};

// "{patient}.{device}.{type}.{start yyyyMMddHHmmssZ}.{end}", or "{patient}.{device}.{type}.{correlationId}".
std::string observation_identifier_value(const ObservationGroup& g, const ResolvedIds& ids);
// Lowercase hex SHA-256 of "{system}_{value}": the Observation's id.
std::string observation_id(const std::string& system, const std::string& value);

struct BuiltObservation {
  json::Document resource;
  std::string id, identifier_value;
};

// nullopt (errors say why) when a value cannot be written, e.g. a Quantity that is not a number.
std::optional<BuiltObservation> build_observation(const CodeValueTemplate& t, const ObservationGroup& g,
                                                  const ResolvedIds& ids, const ObservationOptions& options,
                                                  std::vector<PipelineError>& errors);

// Merges the group into an existing Observation of the same identifier: SampledData series are
// decoded, merged by time (the new value wins at the same time) and re-encoded over the union of
// both windows; other values are replaced; category follows the template. Returns true when the
// Observation changed (its status is then "amended"); false when there is nothing to write or
// the existing resource cannot take the data (an error then says why).
bool merge_observation(const CodeValueTemplate& t, const ObservationGroup& g, json::Document& existing,
                       const ObservationOptions& options, std::vector<PipelineError>& errors);

}  // namespace healthd::medtech
