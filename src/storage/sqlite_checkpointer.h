// Background WAL checkpoints on their own connection and thread. A PASSIVE checkpoint copies
// committed WAL frames into the database file without blocking the writer or readers, so the
// writer seldom pays for an inline autocheckpoint (with its fsyncs), and the WAL stays short,
// which keeps reads fast (every page a reader fetches is first looked up in the WAL index).
#pragma once

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "storage/sqlite_db.h"

namespace healthd::storage {

class Checkpointer {
 public:
  // `path` must already be a WAL database. Runs a checkpoint every `interval`.
  Checkpointer(const std::string& path, std::chrono::milliseconds interval);
  ~Checkpointer() { stop(); }
  Checkpointer(const Checkpointer&) = delete;

  void stop();  // waits for a running checkpoint, closes the connection; idempotent

 private:
  void loop();

  std::unique_ptr<Db> db_;
  const std::chrono::milliseconds interval_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace healthd::storage
