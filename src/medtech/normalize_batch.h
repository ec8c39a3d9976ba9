// The normalize stage of one batch of queued messages: each payload parsed as JSON, wrapped in
// its event envelope and run through the device mapping. Shared by the worker (BatchProcessor)
// and the stage benchmark (bench/medtech/stages_bench.cpp), so both measure the same code.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "medtech/device_mapping.h"
#include "medtech/measurement.h"
#include "medtech/message_queue.h"

namespace healthd::medtech {

struct NormalizedBatch {
  struct Problem {
    size_t message;  // index in the batch
    std::string stage, kind, reason;
  };
  std::vector<Measurement> measurements;
  std::vector<size_t> owner;  // message index of each measurement
  std::vector<Problem> problems;
  size_t normalized_messages = 0;  // messages that gave at least one measurement
};

NormalizedBatch normalize_batch(const DeviceMapping& mapping, const std::vector<QueuedMessage>& batch);

}  // namespace healthd::medtech
