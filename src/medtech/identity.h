// Identity resolution: the Patient, Device (and Encounter) resource ids of a measurement group,
// found through the destination FHIR service.
//   Lookup: the Device found by identifier (the FHIR service's search, Device?identifier=X, any
//           system); its `patient` must be set. No Device: DeviceNotFound (dead letter, counted).
//   Create: the Patient (identifier = patient id) and the Device (identifier = device id, patient
//           reference) are created when missing, with deterministic ids; a Device already linked
//           to another patient is an error.
// An encounter id is looked up the same way in both modes. Results are cached per
// device/patient/encounter for the life of the resolver: one per connector settings version, so
// any PUT of the connector or of a destination (or a restart) clears them. Failures are not
// cached: a Device created after a DeviceNotFound is found by the next message. A Device
// re-linked to another patient keeps its cached patient until the cache is cleared.
#pragma once

#include <map>
#include <optional>
#include <string>

#include "medtech/connector_settings.h"
#include "medtech/fhir_client.h"
#include "medtech/grouping.h"
#include "medtech/observation.h"

namespace healthd::medtech {

// Lowercase hex SHA-256 of "{type}_{identifier}": the id of a Patient/Device/Encounter the
// service creates.
std::string identity_resource_id(const std::string& type, const std::string& identifier);

struct IdentityFailure {
  std::string kind;  // DeviceNotFound, PatientNotFound, PatientIdMissing, PatientDeviceMismatch,
                     // EncounterNotFound, MultipleResourcesFound, InvalidResource
  std::string reason;
};

class IdentityResolver {
 public:
  // `write` false: never creates anything (the $debug path); missing resources of Create mode
  // are given the ids they would get.
  IdentityResolver(FhirClient client, ResolutionType type, bool write = true)
      : client_(std::move(client)), type_(type), write_(write) {}

  // nullopt with `failure` for a handled error; throws TransientError.
  std::optional<ResolvedIds> resolve(const MeasurementGroup& g, IdentityFailure& failure);

 private:
  // The id of the resource of `type` with that identifier; nullopt when there is none.
  std::optional<std::string> find(const std::string& type, const std::string& identifier, json::Document* resource,
                                  IdentityFailure& failure, bool& multiple);
  std::optional<ResolvedIds> lookup(const MeasurementGroup& g, IdentityFailure& failure);
  std::optional<ResolvedIds> create(const MeasurementGroup& g, IdentityFailure& failure);
  bool encounter(const MeasurementGroup& g, ResolvedIds& ids, IdentityFailure& failure);

  FhirClient client_;
  ResolutionType type_;
  bool write_;
  std::map<std::string, ResolvedIds> cache_;
};

}  // namespace healthd::medtech
