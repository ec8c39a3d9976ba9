// Throughput figures for the SQLite store, without HTTP (a benchmark, not a test: not run by CTest);
// run with:
//   ninja -C build bench_store && ./build/bench_store
// HEALTHD_BENCH_COMMITS (default 64000) sets the number of single-resource commits,
// HEALTHD_BENCH_AUTOCHECKPOINT the WAL autocheckpoint in pages, HEALTHD_BENCH_COMPRESS_THRESHOLD
// the compression threshold in bytes (defaults: the store's); HEALTHD_BENCH_SYNC_FULL=1 synchronous=FULL.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <random>
#include <thread>

#include "common/metrics.h"
#include "storage/sqlite_fhir_store.h"
#include "storage_test_util.h"

namespace healthd::storage {
namespace {

using namespace testing;
using Clock = std::chrono::steady_clock;

// CPU time of the calling thread: on a shared machine it says what a call costs, whatever the load.
double thread_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return ts.tv_sec + ts.tv_nsec / 1e9;
}

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// A ~1.5 KB Observation with varying values, so it compresses like real data, not like padding.
std::string observation_json(const std::string& id, std::mt19937_64& rng) {
  auto num = [&](int mod) { return std::to_string(rng() % mod); };
  std::string s = R"({"resourceType":"Observation","id":")" + id +
                  R"(","meta":{"versionId":"1","lastUpdated":"2024-05-0)" + num(9) + "T1" + num(9) + ":" + num(50) +
                  R"(:00.000Z"},"status":"final","category":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/observation-category","code":"vital-signs","display":"Vital Signs"}]}],)" +
                  R"("code":{"coding":[{"system":"http://loinc.org","code":"8867-4","display":"Heart rate"}],"text":"Heart rate"},)" +
                  R"("subject":{"reference":"Patient/)" + num(100000) + R"("},"encounter":{"reference":"Encounter/)" +
                  num(1000000) + R"("},"effectiveDateTime":"2024-05-0)" + num(9) + "T0" + num(9) + R"(:00:00Z",)" +
                  R"("issued":"2024-05-01T10:)" + num(60) + R"(:00.000Z","performer":[{"reference":"Practitioner/)" +
                  num(5000) + R"("}],"valueQuantity":{"value":)" + num(200) + "." + num(10) +
                  R"(,"unit":"beats/minute","system":"http://unitsofmeasure.org","code":"/min"},)" +
                  R"("interpretation":[{"coding":[{"system":"http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation","code":"N","display":"Normal"}]}],)" +
                  R"("note":[{"text":"Measured at rest after )" + num(30) + R"( minutes, device )" + num(999999) +
                  R"(, operator )" + num(99999) + R"("}],"referenceRange":[{"low":{"value":60,"unit":"beats/minute"},"high":{"value":100,"unit":"beats/minute"},"text":"normal resting adult"}],)" +
                  R"("device":{"reference":"Device/)" + num(100000) + R"("},"identifier":[{"system":"urn:ietf:rfc:3986","value":"urn:uuid:)";
  for (int i = 0; i < 4; ++i) s += std::to_string(rng()) + "-";
  s += R"("}]})";
  while (s.size() < 1500) s.insert(s.size() - 2, std::string(",\"x\":\"") + std::to_string(rng()) + "\"");
  return s;
}

TEST(SqliteFhirStoreBench, CommitsAndReads) {
  const int total = std::getenv("HEALTHD_BENCH_COMMITS") ? std::atoi(std::getenv("HEALTHD_BENCH_COMMITS")) : 64000;
  constexpr int kWriters = 32;
  const int per_thread = total / kWriters;

  TempDir dir;
  SqliteStoreOptions options = options_in(dir, "bench");
  options.cache_mb = 64;
  options.read_connections = 8;
  if (const char* bytes = std::getenv("HEALTHD_BENCH_COMPRESS_THRESHOLD")) options.compress_threshold = std::atoll(bytes);
  options.synchronous_full = std::getenv("HEALTHD_BENCH_SYNC_FULL") != nullptr;
  if (const char* pages = std::getenv("HEALTHD_BENCH_AUTOCHECKPOINT")) options.wal_autocheckpoint_pages = std::atoi(pages);
  auto store = open_sqlite_fhir_store(options);

  // Bodies are generated up front so the timing measures the store, not the generator.
  std::vector<std::vector<fhir::WriteOp>> ops(kWriters);
  size_t body_bytes = 0;
  for (int t = 0; t < kWriters; ++t) {
    std::mt19937_64 rng(t);
    for (int i = 0; i < per_thread; ++i) {
      std::string id = "obs-" + std::to_string(t) + "-" + std::to_string(i);
      ops[t].push_back(create("Observation", id, 1'700'000'000'000'000 + i, observation_json(id, rng)));
      body_bytes += ops[t].back().json.size();
    }
  }

  std::atomic<int> failures{0};
  auto start = Clock::now();
  std::vector<std::thread> writers;
  for (int t = 0; t < kWriters; ++t) {
    writers.emplace_back([&, t] {
      for (auto& op : ops[t])
        if (!store->commit({std::move(op)}).ok()) failures++;
    });
  }
  for (auto& w : writers) w.join();
  double write_s = seconds_since(start);
  ASSERT_EQ(failures, 0);

  std::vector<uint64_t> buckets;
  double batch_sum = 0;
  uint64_t batches = 0;
  metrics::histogram("healthd_store_commit_batch_size", "", {{"store", "bench"}}).snapshot(buckets, batch_sum, batches);
  std::printf("commits: %d single-resource commits (avg body %zu B) from %d threads in %.2f s = %.0f commits/s;"
              " %llu transactions, avg %.1f commits each\n",
              kWriters * per_thread, body_bytes / (kWriters * per_thread), kWriters, write_s,
              kWriters * per_thread / write_s, static_cast<unsigned long long>(batches), batch_sum / batches);

  // Point reads of current(), random ids, one thread then several.
  auto read_run = [&](int threads, int reads_each) {
    std::atomic<int> misses{0};
    std::atomic<int64_t> cpu_ns{0};
    auto t0 = Clock::now();
    std::vector<std::thread> readers;
    for (int r = 0; r < threads; ++r) {
      readers.emplace_back([&, r] {
        std::mt19937_64 rng(1000 + r);
        std::vector<std::string> ids;
        for (int i = 0; i < reads_each; ++i)
          ids.push_back("obs-" + std::to_string(rng() % kWriters) + "-" + std::to_string(rng() % per_thread));
        double c0 = thread_cpu_seconds();
        for (const auto& id : ids)
          if (!store->current("Observation", id)) misses++;
        cpu_ns += static_cast<int64_t>((thread_cpu_seconds() - c0) * 1e9);
      });
    }
    for (auto& th : readers) th.join();
    double s = seconds_since(t0);
    EXPECT_EQ(misses, 0);
    std::printf("current(): %d thread(s) x %d reads in %.2f s = %.0f reads/s; CPU %.2f us per read\n", threads,
                reads_each, s, threads * reads_each / s, cpu_ns / 1e3 / (threads * reads_each));
  };
  read_run(1, 200000);
  read_run(4, 100000);

  fhir::HistoryQuery q;
  q.type = "Observation";
  q.count = 50;
  auto t0 = Clock::now();
  int pages = 0;
  for (; pages < 2000; ++pages) {
    auto page = store->history(q);
    if (!page.has_more) break;
    q.before_seq = page.entries.back().seq;
  }
  double hs = seconds_since(t0);
  std::printf("history(): %d type-level pages of 50 in %.2f s = %.0f us per page\n", pages, hs, hs * 1e6 / pages);

  store->close();
  std::printf("database file: %.1f MB\n",
              std::filesystem::file_size(options.path) / 1048576.0);
}

}  // namespace
}  // namespace healthd::storage
