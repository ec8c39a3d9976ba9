// One batch of queued messages through the pipeline: normalize -> group -> identity resolution
// -> build/merge Observation -> persist through the destination FHIR service. Handled problems
// become dead letters (stage, kind, reason, original message); a transient failure throws
// TransientError and the batch stays queued to be retried whole (every step is idempotent:
// deterministic ids, merges that write nothing when nothing changed).
#pragma once

#include <memory>
#include <vector>

#include "medtech/connector_metrics.h"
#include "medtech/fhir_client.h"
#include "medtech/identity.h"
#include "medtech/loaded_settings.h"
#include "medtech/message_queue.h"

namespace healthd::medtech {

class BatchProcessor {
 public:
  BatchProcessor(std::shared_ptr<const LoadedSettings> settings, FhirCall call, ConnectorMetrics& metrics);

  // The dead letters of the batch. Throws TransientError.
  std::vector<DeadLetter> process(const std::vector<QueuedMessage>& batch);

  uint64_t version() const { return settings_->version; }

 private:
  std::shared_ptr<const LoadedSettings> settings_;
  FhirCall call_;
  ConnectorMetrics& metrics_;
  std::vector<IdentityResolver> resolvers_;  // one per destination, caches kept between batches
};

}  // namespace healthd::medtech
