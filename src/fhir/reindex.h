// $reindex: rewrites the search index of stored resources from their current versions, without
// new versions (after SearchParameter changes, a new string normalization, and for stores written
// before search existed). One background job per service. Its state is service state
// ("reindex_job", written with every page), so GET [base]/$reindex answers across restarts and a
// job a restart interrupted resumes where it was. Not a public header.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "fhir/store.h"

namespace healthd::fhir {

class ReindexJob {
 public:
  // index_rows(type, json) -> the rows to store for that resource.
  using IndexFn = std::function<std::vector<IndexRow>(const std::string& type, const std::string& json)>;
  // The index function for a base URL (references to this server are indexed as Type/id).
  using MakeIndex = std::function<IndexFn(const std::string& base_url)>;
  // Custom parameters (url -> generation) a job enables when it completes.
  using Covers = std::map<std::string, int64_t>;
  // Called when a job completed without failures, with what it covers.
  using OnCompleted = std::function<void(const Covers&)>;

  // The service state naming the rules the index was written under (search::kIndexRules: string
  // normalization, rows kept); a job that completes records them there. The key keeps its first name.
  static constexpr const char* kNormalizationKey = "string_normalization";

  ~ReindexJob();

  // Once, when the service opens: reads the stored job; resumes one that was running; calls
  // on_completed again for a completed one (its effects are idempotent).
  void attach(std::shared_ptr<Store> store, MakeIndex make_index, OnCompleted on_completed,
              std::string string_normalization);
  // Starts a job over every current resource unless one is running; false when one is.
  bool start(const std::string& base_url, Covers covers);
  bool running() const;
  // Stops the thread; a running job stays "running" in the store and resumes at the next attach.
  void stop();
  // {"resourceType":"Parameters", ...}: id, status none|running|completed|failed, counts, times,
  // the parameters it enables.
  std::string status_json() const;

 private:
  struct State {
    std::string id, status = "none", error, base_url;
    int64_t total = 0, processed = 0, changed = 0, failed = 0, started_us = 0, finished_us = 0;
    int64_t after = 0;  // the store key of the last resource done (resume point)
    Covers covers;
  };
  static std::string to_json(const State& s);
  static State from_json(const std::string& text);
  static WriteOp state_op(const State& s);
  void launch();             // under mu_
  void run(std::stop_token stop);

  std::shared_ptr<Store> store_;
  MakeIndex make_index_;
  OnCompleted on_completed_;
  std::string normalization_;

  mutable std::mutex mu_;
  State state_;
  std::jthread thread_;
};

// The Reindex ops for a page of resources (current versions, not deleted).
std::vector<WriteOp> reindex_ops(const std::vector<StoredVersion>& versions, const ReindexJob::IndexFn& index);

}  // namespace healthd::fhir
