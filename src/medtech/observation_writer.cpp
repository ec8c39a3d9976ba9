#include "medtech/observation_writer.h"

namespace healthd::medtech {

namespace {

constexpr int kMaxAttempts = 8;

SaveResult failed(std::string id, std::string kind, std::string reason) {
  return {SaveOutcome::Failed, std::move(id), std::move(kind), std::move(reason)};
}

SaveResult rejected(const std::string& id, int status, const std::string& why) {
  return failed(id, "InvalidResource", "PUT Observation/" + id + " answered " + std::to_string(status) + ": " + why);
}

}  // namespace

SaveResult save_observation(FhirClient& client, const CodeValueTemplate& t, const ObservationGroup& g,
                            const ResolvedIds& ids, const ObservationOptions& options) {
  std::vector<PipelineError> errors;
  auto built = build_observation(t, g, ids, options, errors);
  if (!built) {
    if (errors.empty()) return failed({}, "InvalidResource", "the Observation could not be built");
    return failed({}, errors.front().kind, errors.front().message);
  }
  for (int attempt = 0; attempt < kMaxAttempts; ++attempt) {
    auto current = client.read("Observation", built->id);
    std::string why;
    if (!current.found) {
      int status = client.put("Observation", built->id, json::to_string(built->resource), std::nullopt, &why);
      if (status == 200 || status == 201) return {SaveOutcome::Created, built->id, {}, {}};
      if (status == 409 || status == 412) continue;
      return rejected(built->id, status, why);
    }
    errors.clear();
    if (!merge_observation(t, g, current.resource, options, errors)) {
      if (!errors.empty()) return failed(built->id, errors.front().kind, errors.front().message);
      return {SaveOutcome::NoOp, built->id, {}, {}};
    }
    int status = client.put("Observation", built->id, json::to_string(current.resource),
                            current.etag.empty() ? std::nullopt : std::optional<std::string>(current.etag), &why);
    if (status == 200 || status == 201) return {SaveOutcome::Updated, built->id, {}, {}};
    if (status == 409 || status == 412) continue;
    return rejected(built->id, status, why);
  }
  throw TransientError("Observation/" + built->id + " kept changing concurrently");
}

}  // namespace healthd::medtech
