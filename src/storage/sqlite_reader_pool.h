// A fixed pool of read-only connections to one WAL database. In WAL mode readers see the last
// committed snapshot and never block the single writer (nor does it block them).
#pragma once

#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "storage/sqlite_db.h"

namespace healthd::storage {

class ReaderPool {
 public:
  // Opens `size` read-only connections to `path`, each passed through `configure` (pragmas).
  ReaderPool(const std::string& path, int size, const std::function<void(Db&)>& configure);
  ~ReaderPool() { close(); }

  // A connection borrowed from the pool; returned when the lease is destroyed.
  class Lease {
   public:
    Lease(ReaderPool* pool, Db* db) : pool_(pool), db_(db) {}
    Lease(Lease&& o) noexcept : pool_(o.pool_), db_(o.db_) { o.db_ = nullptr; }
    Lease(const Lease&) = delete;
    ~Lease() {
      if (db_) pool_->release(db_);
    }
    Db& operator*() const { return *db_; }
    Db* operator->() const { return db_; }

   private:
    ReaderPool* pool_;
    Db* db_;
  };

  // Waits for a free connection; nullopt once the pool is closed.
  std::optional<Lease> acquire();
  // Refuses new leases, waits for outstanding ones to come back, closes every connection.
  void close();

 private:
  void release(Db* db);

  std::mutex mu_;
  std::condition_variable cv_;
  bool closed_ = false;
  size_t leased_ = 0;
  std::vector<std::unique_ptr<Db>> all_;
  std::vector<Db*> free_;
};

}  // namespace healthd::storage
