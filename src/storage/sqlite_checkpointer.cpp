#include "storage/sqlite_checkpointer.h"

namespace healthd::storage {

Checkpointer::Checkpointer(const std::string& path, std::chrono::milliseconds interval)
    : db_(std::make_unique<Db>(path, Db::Mode::ReadWriteCreate)), interval_(interval) {
  db_->set_busy_timeout_ms(0);  // never wait: a busy checkpoint is simply tried again later
  db_->exec("PRAGMA wal_autocheckpoint = 0");
  thread_ = std::thread([this] { loop(); });
}

void Checkpointer::stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  db_.reset();
}

void Checkpointer::loop() {
  std::unique_lock lock(mu_);
  while (!cv_.wait_for(lock, interval_, [&] { return stopping_; })) {
    lock.unlock();
    try {
      // Cheap when there is nothing new; copies what readers no longer need otherwise.
      db_->exec("PRAGMA wal_checkpoint(PASSIVE)");
    } catch (const SqliteError&) {
      // SQLITE_BUSY (another checkpoint is running) or a transient error: try next time.
    }
    lock.lock();
  }
}

}  // namespace healthd::storage
