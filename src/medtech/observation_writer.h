// Persisting one Observation window through the FHIR service: read Observation/{id} (the
// deterministic id), then create it with PUT, or merge the new data into it and PUT it back with
// If-Match; nothing is written when the merge changes nothing. 409/412 re-read and retry.
#pragma once

#include <string>
#include <vector>

#include "medtech/fhir_client.h"
#include "medtech/observation.h"

namespace healthd::medtech {

enum class SaveOutcome { Created, Updated, NoOp, Failed };

struct SaveResult {
  SaveOutcome outcome = SaveOutcome::Failed;
  std::string id;
  std::string kind, reason;  // when Failed
};

// Throws TransientError when the service is unavailable or conflicts persist.
SaveResult save_observation(FhirClient& client, const CodeValueTemplate& t, const ObservationGroup& g,
                            const ResolvedIds& ids, const ObservationOptions& options);

}  // namespace healthd::medtech
