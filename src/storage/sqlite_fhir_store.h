// The embedded fhir::Store: one SQLite file in WAL mode, one writer thread that group-commits
// concurrent commit() calls, and a pool of read-only connections for reads.
#pragma once

#include <cstddef>
#include <memory>
#include <string>

#include "fhir/store.h"

namespace healthd::storage {

struct SqliteStoreOptions {
  std::string path;                  // database file; parent directories are created
  bool synchronous_full = false;     // false: WAL + synchronous=NORMAL (acknowledged commits survive kill -9 of the process); true: FULL (also power loss)
  int max_batch = 256;               // most commit() calls group-committed in one transaction
  int cache_mb = 64;                 // page cache per connection
  int wal_autocheckpoint_pages = 20000;
  size_t compress_threshold = 2048;  // bodies larger than this are stored zstd-compressed
  int read_connections = 8;          // pooled reader connections
  int writer_nice = -10;             // the writer thread's nice value when allowed (root, CAP_SYS_NICE); 0: unchanged
  std::string metrics_label;         // value of the `store` label on the metrics
};

// Opens (creating and migrating as needed) the store. Throws std::runtime_error with a clear
// message when the file cannot be opened, is not a healthd FHIR store, or has a newer schema.
//
// Reads (current/version/history) throw std::runtime_error on an SQLite or decompression error
// (a damaged file); after close() they return nullopt / an empty page. commit() never throws for
// storage errors: it returns Status::Error.
std::shared_ptr<fhir::Store> open_sqlite_fhir_store(const SqliteStoreOptions& options);

}  // namespace healthd::storage
