#include "storage/sqlite_reader_pool.h"

#include <algorithm>

namespace healthd::storage {

ReaderPool::ReaderPool(const std::string& path, int size, const std::function<void(Db&)>& configure) {
  for (int i = 0; i < std::max(size, 1); ++i) {
    all_.push_back(std::make_unique<Db>(path, Db::Mode::ReadOnly));
    configure(*all_.back());
    free_.push_back(all_.back().get());
  }
}

std::optional<ReaderPool::Lease> ReaderPool::acquire() {
  std::unique_lock lock(mu_);
  cv_.wait(lock, [&] { return closed_ || !free_.empty(); });
  if (closed_) return std::nullopt;
  Db* db = free_.back();
  free_.pop_back();
  ++leased_;
  return Lease(this, db);
}

void ReaderPool::release(Db* db) {
  bool closing;
  {
    std::lock_guard lock(mu_);
    free_.push_back(db);
    --leased_;
    closing = closed_;
  }
  // While open, one waiting reader can use the connection; while closing, close() must wake.
  if (closing) {
    cv_.notify_all();
  } else {
    cv_.notify_one();
  }
}

void ReaderPool::close() {
  std::unique_lock lock(mu_);
  closed_ = true;
  cv_.notify_all();
  cv_.wait(lock, [&] { return leased_ == 0; });
  free_.clear();
  all_.clear();
}

}  // namespace healthd::storage
