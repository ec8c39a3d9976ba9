// Messages/s through the MedTech normalize + group + transform stages on one core, with the
// production code the worker runs (normalize_batch, group_measurements, observation_groups,
// build_observation and the JSON text of the PUT body), without the FHIR persist. Identity
// resolution is the resolver's cache hit: the Patient/Device ids each device resolves to.
// Messages and mappings are those of bench/medtech.sh (bench/medtech/*.json, 100 devices, one
// heart-rate message every 5 s per device). Prints a Markdown table (bench/medtech.sh adds it to
// bench/results/medtech.md). Times are CPU seconds of the one thread doing the work, so the
// figures are messages per second of one core even on a shared machine.
//   ninja -C build bench_medtech && build/bench_medtech [messages]
#include <algorithm>
#include <chrono>
#include <ctime>
#include <cstdio>
#include <fstream>
#include <map>
#include <sstream>
#include <string>

#include "common/time.h"
#include "medtech/device_mapping.h"
#include "medtech/fhir_mapping.h"
#include "medtech/grouping.h"
#include "medtech/identity.h"
#include "medtech/normalize_batch.h"
#include "medtech/observation.h"
#include "medtech/timestamp.h"

using namespace healthd;
using namespace healthd::medtech;

namespace {

constexpr size_t kBatch = 1024;  // messages per worker batch (connector.cpp)
constexpr int kDevices = 100;

std::string read(const std::string& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// CPU time of this thread: the figures are per core, whatever else shares the machine.
double cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return double(ts.tv_sec) + double(ts.tv_nsec) / 1e9;
}


std::vector<QueuedMessage> messages(size_t n) {
  std::vector<QueuedMessage> out;
  const int64_t t0 = 1704067200LL * 1000000;
  for (size_t i = 0; i < n; ++i) {
    size_t d = i % kDevices, k = i / kDevices;
    std::string when = format_timestamp(t0 + int64_t(k) * 5000000);
    std::string body = "{\"heartRate\": " + std::to_string(55 + i % 50) + ", \"deviceId\": \"bench-dev-" +
                       std::to_string(d) + "\", \"patientId\": \"bench-pat-" + std::to_string(d) +
                       "\", \"endDate\": \"" + when + "\"}";
    out.push_back(QueuedMessage{int64_t(i + 1), now_us(), std::move(body)});
  }
  return out;
}

struct Figures {
  double normalize_s = 0, group_s = 0, transform_s = 0;
  size_t measurements = 0, observations = 0, bytes = 0;
};

// One pass over all messages in worker-sized batches.
Figures run(const DeviceMapping& device, const FhirMapping& fhir, const std::vector<QueuedMessage>& all) {
  Figures f;
  std::map<std::string, ResolvedIds> identities;  // the resolver's cache, filled on first sight
  ObservationOptions options{kMedTechSystem, now_us()};
  std::vector<PipelineError> errors;
  for (size_t from = 0; from < all.size(); from += kBatch) {
    std::vector<QueuedMessage> batch(all.begin() + long(from), all.begin() + long(std::min(all.size(), from + kBatch)));
    double t0 = cpu_seconds();
    NormalizedBatch n = normalize_batch(device, batch);
    f.normalize_s += cpu_seconds() - t0;
    if (!n.problems.empty()) {
      std::fprintf(stderr, "normalize: %s\n", n.problems.front().reason.c_str());
      std::exit(1);
    }
    f.measurements += n.measurements.size();

    t0 = cpu_seconds();
    auto groups = group_measurements(n.measurements);
    std::vector<std::pair<const MeasurementGroup*, std::vector<ObservationGroup>>> windows;
    for (const auto& g : groups) {
      const CodeValueTemplate* t = fhir.find(g.type);
      if (!t) std::exit(1);
      windows.emplace_back(&g, observation_groups(*t, g, errors));
    }
    f.group_s += cpu_seconds() - t0;

    t0 = cpu_seconds();
    for (const auto& [g, ws] : windows) {
      const CodeValueTemplate* t = fhir.find(g->type);
      auto [it, fresh] = identities.try_emplace(g->device_id);
      if (fresh)
        it->second = ResolvedIds{identity_resource_id("Patient", *g->patient_id),
                                 identity_resource_id("Device", g->device_id), std::nullopt};
      for (const auto& w : ws) {
        auto built = build_observation(*t, w, it->second, options, errors);
        if (!built) std::exit(1);
        f.bytes += json::to_string(built->resource).size();
        ++f.observations;
      }
    }
    f.transform_s += cpu_seconds() - t0;
  }
  if (!errors.empty()) {
    std::fprintf(stderr, "group/transform: %s\n", errors.front().message.c_str());
    std::exit(1);
  }
  return f;
}

}  // namespace

int main(int argc, char** argv) {
  size_t n = argc > 1 ? std::stoul(argv[1]) : 100000;
  const std::string dir = std::string(HEALTHD_SOURCE_DIR) + "/bench/medtech/";
  auto device = DeviceMapping::parse(read(dir + "devicecontent.json"));
  if (!device.ok()) return 1;
  auto all = messages(n);
  std::printf("| periodInterval | messages | Observations | normalize msg/s | group msg/s | transform msg/s | "
              "normalize+group+transform msg/s | same, wall clock msg/s |\n|---|---|---|---|---|---|---|---|\n");
  for (int period : {60, 0}) {
    std::string text = read(dir + "fhirmapping.json");
    text.replace(text.find("@PERIOD@"), 8, std::to_string(period));
    auto fhir = FhirMapping::parse(text);
    if (!fhir.ok()) return 1;
    Figures best;
    double best_total = 1e30, best_wall = 1e30;
    for (int round = 0; round < 3; ++round) {  // best of 3: the machine is shared
      auto wall = std::chrono::steady_clock::now();
      Figures f = run(*device.mapping, *fhir.mapping, all);
      best_wall = std::min(best_wall, std::chrono::duration<double>(std::chrono::steady_clock::now() - wall).count());
      double total = f.normalize_s + f.group_s + f.transform_s;
      if (total < best_total) best_total = total, best = f;
    }
    auto rate = [&](double s) { return double(n) / s; };
    std::printf("| %d | %zu | %zu | %.0f | %.0f | %.0f | %.0f | %.0f |\n", period, n, best.observations,
                rate(best.normalize_s), rate(best.group_s), rate(best.transform_s), rate(best_total), rate(best_wall));
  }
  return 0;
}
