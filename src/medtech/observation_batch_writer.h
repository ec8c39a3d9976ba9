// Persisting the Observation windows of one batch through the FHIR service's own interactions,
// two requests instead of two per Observation: one search by _id for the Observations that
// already exist (with their versions), then one transaction Bundle of PUTs (the new ones, and
// the merged ones with ifMatch) committed at once. An Observation the merge leaves unchanged is
// not written. A transaction the service refuses for a version conflict (409/412) is retried
// from the search; one it refuses for any other reason (an entry that does not validate) falls
// back to save_observation window by window, so that only the bad window fails.
#pragma once

#include <vector>

#include "medtech/observation_writer.h"

namespace healthd::medtech {

struct ObservationToSave {
  const CodeValueTemplate* t;
  const ObservationGroup* window;
  const ResolvedIds* ids;
};

// One result per item, in order. Throws TransientError when the service is unavailable or
// conflicts persist.
std::vector<SaveResult> save_observations(FhirClient& client, const std::vector<ObservationToSave>& items,
                                          const ObservationOptions& options);

}  // namespace healthd::medtech
