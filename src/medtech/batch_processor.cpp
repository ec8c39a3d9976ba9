#include "medtech/batch_processor.h"

#include <chrono>
#include <set>
#include <tuple>

#include "common/time.h"
#include "medtech/normalize_batch.h"
#include "medtech/observation_batch_writer.h"

namespace healthd::medtech {

namespace {

double seconds_since(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace

BatchProcessor::BatchProcessor(std::shared_ptr<const LoadedSettings> settings, FhirCall call, ConnectorMetrics& metrics)
    : settings_(std::move(settings)), call_(std::move(call)), metrics_(metrics) {
  for (const auto& d : settings_->destinations)
    resolvers_.emplace_back(FhirClient(call_, d.settings.fhir_service), d.settings.resolution);
}

std::vector<DeadLetter> BatchProcessor::process(const std::vector<QueuedMessage>& batch) {
  const int64_t now = now_us();
  std::vector<DeadLetter> dead;
  std::set<std::tuple<size_t, std::string, std::string>> seen;  // one dead letter per message and problem
  auto bury = [&](size_t message, const std::string& stage, const std::string& kind, const std::string& reason) {
    if (!seen.emplace(message, kind, reason).second) return;
    metrics_.error(kind);
    dead.push_back(DeadLetter{0, now, stage, kind, reason, batch[message].payload});
  };

  // Normalize.
  auto started = std::chrono::steady_clock::now();
  NormalizedBatch normalized = normalize_batch(*settings_->device, batch);
  const std::vector<Measurement>& measurements = normalized.measurements;
  const std::vector<size_t>& owner = normalized.owner;
  metrics_.normalized.inc(double(normalized.normalized_messages));
  for (const auto& p : normalized.problems) bury(p.message, p.stage, p.kind, p.reason);
  metrics_.measurements.inc(double(measurements.size()));
  metrics_.normalize_seconds.observe(seconds_since(started));
  if (measurements.empty()) return dead;

  started = std::chrono::steady_clock::now();
  if (settings_->destinations.empty())
    for (size_t i : std::set<size_t>(owner.begin(), owner.end()))
      bury(i, "transform", "NoDestination", "the MedTech service has no FHIR destination");

  const auto groups = group_measurements(measurements);
  ObservationOptions options{kMedTechSystem, now};
  for (size_t d = 0; d < settings_->destinations.size(); ++d) {
    const LoadedDestination& dest = settings_->destinations[d];
    FhirClient client(call_, dest.settings.fhir_service);
    auto bury_group = [&](const MeasurementGroup& g, const std::string& stage, const std::string& kind,
                          const std::string& reason) {
      for (const Measurement* m : g.measurements)
        bury(owner[size_t(m - measurements.data())], stage, kind, dest.name + ": " + reason);
    };
    // Every window of the batch, then one save for them all (one search, one transaction).
    std::vector<ResolvedIds> resolved(groups.size());
    std::vector<std::vector<ObservationGroup>> windows(groups.size());
    std::vector<ObservationToSave> to_save;
    std::vector<size_t> group_of;  // of each item of to_save
    for (size_t gi = 0; gi < groups.size(); ++gi) {
      const MeasurementGroup& g = groups[gi];
      const CodeValueTemplate* t = dest.mapping->find(g.type);
      if (!t) {
        bury_group(g, "transform", "TemplateNotFound", "no CodeValueFhir template for type '" + g.type + "'");
        continue;
      }
      IdentityFailure failure;
      auto ids = resolvers_[d].resolve(g, failure);
      if (!ids) {
        bury_group(g, "identity", failure.kind, failure.reason);
        continue;
      }
      resolved[gi] = std::move(*ids);
      std::vector<PipelineError> errors;
      windows[gi] = observation_groups(*t, g, errors);
      for (const auto& e : errors) bury_group(g, e.stage, e.kind, e.message);
      metrics_.groups.inc(double(windows[gi].size()));
      for (const auto& w : windows[gi]) {
        to_save.push_back(ObservationToSave{t, &w, &resolved[gi]});
        group_of.push_back(gi);
      }
    }
    auto saved = save_observations(client, to_save, options);
    for (size_t i = 0; i < saved.size(); ++i) {
      switch (saved[i].outcome) {
        case SaveOutcome::Created: metrics_.created.inc(); break;
        case SaveOutcome::Updated: metrics_.updated.inc(); break;
        case SaveOutcome::NoOp: metrics_.noop.inc(); break;
        case SaveOutcome::Failed: bury_group(groups[group_of[i]], "persist", saved[i].kind, saved[i].reason); break;
      }
    }
  }
  metrics_.group_seconds.observe(seconds_since(started));
  return dead;
}

}  // namespace healthd::medtech
