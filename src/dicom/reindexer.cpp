#include "dicom/reindexer.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "common/time.h"
#include "dicom/index.h"
#include "dicom/instance.h"
#include "dicom/store.h"

namespace healthd::dicom {

Reindexer::Reindexer(std::string name, std::shared_ptr<Store> store, size_t batch_size)
    : name_(std::move(name)), store_(std::move(store)), batch_size_(std::max<size_t>(batch_size, 1)) {
  thread_ = std::thread([this] { run(); });
}

Reindexer::~Reindexer() { stop(); }

void Reindexer::wake() {
  {
    std::lock_guard lock(mu_);
    pending_ = true;
  }
  cv_.notify_all();
}

void Reindexer::stop() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

bool Reindexer::stopping() {
  std::lock_guard lock(mu_);
  return stop_;
}

void Reindexer::run() {
  for (;;) {
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [this] { return stop_ || pending_; });
      if (stop_) return;
      pending_ = false;
    }
    try {
      for (const Operation& op : store_->unfinished_operations()) {
        if (stopping()) return;
        run_operation(op);
      }
    } catch (const std::exception& e) {  // the store closed under us
      spdlog::warn("DICOM service {}: re-indexing stopped: {}", name_, e.what());
      return;
    }
  }
}

void Reindexer::run_operation(const Operation& op) {
  int64_t cursor = op.cursor;
  try {
    while (!stopping()) {
      std::vector<ExtendedQueryTagEntry> tags;
      for (auto& t : store_->extended_query_tags())
        if (t.operation_id == op.id && t.status == TagStatus::Adding) tags.push_back(std::move(t));
      const auto targets = tags.empty() ? std::vector<ReindexTarget>{} : store_->instances_after(cursor, batch_size_);
      if (targets.empty()) {
        store_->finish_operation(op.id, OperationStatus::Completed, "");
        spdlog::info("DICOM service {}: re-index operation {} completed", name_, op.id);
        return;
      }
      std::vector<ExtendedQueryTag> wanted;
      for (const auto& t : tags) wanted.push_back({t.tag, t.vr, t.private_creator});
      ReindexBatch batch;
      batch.operation_id = op.id;
      for (const ReindexTarget& target : targets) {
        auto error_of = [&](std::string message) {
          return ExtendedQueryTagError{target.study_uid, target.series_uid, target.sop_uid, now_us(), std::move(message)};
        };
        std::string error;
        auto instance = Instance::open(target.path, &error);
        if (!instance) {
          for (const auto& t : tags) batch.errors.emplace_back(t.key, error_of("cannot read the stored instance: " + error));
        } else {
          const auto values = extended_values(*instance, wanted);
          for (size_t i = 0; i < tags.size(); ++i) {
            if (!values[i].error.empty()) {
              batch.errors.emplace_back(tags[i].key, error_of(values[i].error));
            } else if (values[i].value) {
              const int64_t entity = tags[i].level == Level::Study    ? target.study_key
                                     : tags[i].level == Level::Series ? target.series_key
                                                                      : target.instance_key;
              batch.values.push_back({tags[i].key, tags[i].level, entity, *values[i].value});
            }
          }
        }
        batch.cursor = target.instance_key;
      }
      store_->write_reindex_batch(batch);
      cursor = batch.cursor;
    }
  } catch (const std::exception& e) {
    spdlog::error("DICOM service {}: re-index operation {} failed: {}", name_, op.id, e.what());
    try {
      store_->finish_operation(op.id, OperationStatus::Failed, e.what());
    } catch (const std::exception&) {  // the store is closed: the operation resumes at the next start
    }
  }
}

}  // namespace healthd::dicom
