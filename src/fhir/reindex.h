// $reindex: rewrites the search index of stored resources from their current versions, without
// new versions (after SearchParameter changes, and for stores written before search existed).
// One background job per service; its state lives in memory (a restart forgets it; the index
// it wrote stays). Not a public header.
#pragma once

#include <cstdint>
#include <functional>
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

  ~ReindexJob();

  // Starts a job over every current resource unless one is running; false when one is.
  bool start(std::shared_ptr<Store> store, IndexFn index);
  // {"resourceType":"Parameters", ...}: status none|running|completed|failed, counts, times.
  std::string status_json() const;

 private:
  void run(std::stop_token stop, std::shared_ptr<Store> store, IndexFn index);

  mutable std::mutex mu_;
  std::string status_ = "none";
  int64_t total_ = 0, processed_ = 0, changed_versions_ = 0, failed_ = 0;
  int64_t started_us_ = 0, finished_us_ = 0;
  std::string error_;
  std::jthread thread_;
};

// The Reindex ops for a page of resources (current versions, not deleted).
std::vector<WriteOp> reindex_ops(const std::vector<StoredVersion>& versions, const ReindexJob::IndexFn& index);

}  // namespace healthd::fhir
