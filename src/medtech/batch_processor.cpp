#include "medtech/batch_processor.h"

#include <chrono>
#include <set>
#include <tuple>

#include "common/time.h"
#include "medtech/normalize.h"
#include "medtech/observation_writer.h"

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
  std::vector<Measurement> measurements;
  std::vector<size_t> owner;  // message index of each measurement
  for (size_t i = 0; i < batch.size(); ++i) {
    json::Document input;
    std::string why;
    if (!json::parse(batch[i].payload, input, &why)) {
      bury(i, "ingest", "InvalidFormat", "the message is not JSON: " + why);
      continue;
    }
    wrap_in_envelope(input);
    std::vector<PipelineError> errors;
    size_t before = measurements.size();
    normalize(*settings_->device, input, batch[i].received_us, measurements, errors);
    owner.resize(measurements.size(), i);
    if (measurements.size() > before) metrics_.normalized.inc();
    for (const auto& e : errors) bury(i, e.stage, e.kind, e.message);
  }
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
    for (const auto& g : groups) {
      std::set<size_t> messages;
      for (const Measurement* m : g.measurements) messages.insert(owner[size_t(m - measurements.data())]);
      auto bury_group = [&](const std::string& stage, const std::string& kind, const std::string& reason) {
        for (size_t i : messages) bury(i, stage, kind, dest.name + ": " + reason);
      };
      const CodeValueTemplate* t = dest.mapping->find(g.type);
      if (!t) {
        bury_group("transform", "TemplateNotFound", "no CodeValueFhir template for type '" + g.type + "'");
        continue;
      }
      IdentityFailure failure;
      auto ids = resolvers_[d].resolve(g, failure);
      if (!ids) {
        bury_group("identity", failure.kind, failure.reason);
        continue;
      }
      std::vector<PipelineError> errors;
      auto windows = observation_groups(*t, g, errors);
      for (const auto& e : errors) bury_group(e.stage, e.kind, e.message);
      metrics_.groups.inc(double(windows.size()));
      for (const auto& w : windows) {
        SaveResult saved = save_observation(client, *t, w, *ids, options);
        switch (saved.outcome) {
          case SaveOutcome::Created: metrics_.created.inc(); break;
          case SaveOutcome::Updated: metrics_.updated.inc(); break;
          case SaveOutcome::NoOp: metrics_.noop.inc(); break;
          case SaveOutcome::Failed: bury_group("persist", saved.kind, saved.reason); break;
        }
      }
    }
  }
  metrics_.group_seconds.observe(seconds_since(started));
  return dead;
}

}  // namespace healthd::medtech
