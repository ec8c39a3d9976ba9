// The embedded dicom::Store: the index in one SQLite file (WAL) per DICOM service, the instance
// files beside it (<dir>/files/<study>/<series>/<sop>.dcm), uploads staged in <dir>/tmp.
#pragma once

#include <cstddef>
#include <memory>
#include <string>

#include "dicom/store.h"

namespace healthd::storage {

struct SqliteDicomStoreOptions {
  std::string dir;                   // the service's directory; dicom.db, files/ and tmp/ go here
  bool synchronous_full = false;     // see SqliteStoreOptions
  int cache_mb = 64;
  int wal_autocheckpoint_pages = 20000;
  size_t compress_threshold = 2048;  // metadata larger than this is stored zstd-compressed
  int read_connections = 8;
  // Group commit: a commit that starts while STOW requests have announced a put (and are still
  // reading their parts) waits up to this long for them to join its transaction; 0: never waits.
  int commit_delay_us = 200;
};

// Opens (creating and migrating as needed). Throws std::runtime_error with a clear message.
std::shared_ptr<dicom::Store> open_sqlite_dicom_store(const SqliteDicomStoreOptions& options);

}  // namespace healthd::storage
