#include "medtech/normalize_batch.h"

#include "medtech/normalize.h"

namespace healthd::medtech {

NormalizedBatch normalize_batch(const DeviceMapping& mapping, const std::vector<QueuedMessage>& batch) {
  NormalizedBatch out;
  std::vector<PipelineError> errors;
  for (size_t i = 0; i < batch.size(); ++i) {
    json::Document input;
    std::string why;
    if (!json::parse(batch[i].payload, input, &why)) {
      out.problems.push_back({i, "ingest", "InvalidFormat", "the message is not JSON: " + why});
      continue;
    }
    wrap_in_envelope(input);
    errors.clear();
    if (normalize(mapping, input, batch[i].received_us, out.measurements, errors) > 0) ++out.normalized_messages;
    out.owner.resize(out.measurements.size(), i);
    for (auto& e : errors) out.problems.push_back({i, std::move(e.stage), std::move(e.kind), std::move(e.message)});
  }
  return out;
}

}  // namespace healthd::medtech
