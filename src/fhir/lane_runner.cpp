#include "fhir/lane_runner.h"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>

#include "common/metrics.h"

namespace healthd::fhir {

namespace {

// Shared by the caller and its helpers. A helper may start after the caller has returned (its
// task waited in the pool's queue): it then finds no lane left and touches nothing else.
struct LaneRun {
  const size_t count;
  const std::vector<std::vector<size_t>>* lanes;
  const std::function<void(size_t)>* run_entry;
  std::atomic<size_t> next{0};
  std::atomic<int> running{0}, peak{0};
  std::mutex mu;
  std::condition_variable all_done;
  size_t done = 0;

  LaneRun(const std::vector<std::vector<size_t>>& l, const std::function<void(size_t)>& f)
      : count(l.size()), lanes(&l), run_entry(&f) {}

  void work() {
    for (size_t k; (k = next.fetch_add(1)) < count;) {
      const int now = running.fetch_add(1) + 1;
      for (int seen = peak.load(); now > seen && !peak.compare_exchange_weak(seen, now);) {
      }
      for (size_t i : (*lanes)[k]) (*run_entry)(i);
      running.fetch_sub(1);
      std::lock_guard lock(mu);
      if (++done == count) all_done.notify_all();
    }
  }
};

}  // namespace

void run_lanes(const Request& req, int parallelism, const std::vector<std::vector<size_t>>& lanes,
               const std::function<void(size_t)>& run_entry) {
  static metrics::Histogram& concurrency = metrics::histogram(
      "healthd_fhir_batch_parallel_entries", "Most entries of one batch Bundle running at the same time", {},
      {1, 2, 4, 8, 16, 32, 64});
  const size_t helpers = std::min<size_t>(static_cast<size_t>(std::max(parallelism, 1)), lanes.size());
  if (helpers <= 1 || !req.run_on_pool) {
    for (const auto& lane : lanes)
      for (size_t i : lane) run_entry(i);
    concurrency.observe(lanes.empty() ? 0 : 1);
    return;
  }
  auto run = std::make_shared<LaneRun>(lanes, run_entry);
  for (size_t h = 1; h < helpers; ++h)
    if (!req.run_on_pool([run] { run->work(); })) break;  // the pool is busy: fewer helpers
  run->work();
  std::unique_lock lock(run->mu);
  run->all_done.wait(lock, [&] { return run->done == run->count; });
  concurrency.observe(run->peak.load());
}

}  // namespace healthd::fhir
