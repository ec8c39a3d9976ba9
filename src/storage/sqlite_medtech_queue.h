// The SQLite implementation of medtech::MessageQueue: one database file per MedTech service
// (<data>/workspaces/<ws>/iotconnectors/<name>/queue.db), WAL journal, one connection guarded by
// a mutex. A push returns after COMMIT, so an accepted message survives kill -9
// (synchronous=NORMAL in WAL mode; `synchronous_full` adds power-loss durability).
#pragma once

#include <memory>
#include <string>

#include "medtech/message_queue.h"

namespace healthd::storage {

struct SqliteMedtechQueueOptions {
  std::string path;
  bool synchronous_full = false;
};

// Throws std::runtime_error (SqliteError) when the file cannot be opened or migrated.
std::unique_ptr<medtech::MessageQueue> open_sqlite_medtech_queue(const SqliteMedtechQueueOptions& options);

}  // namespace healthd::storage
