// fhir::Store: where a FHIR service keeps every version of every resource.
// Owned by the FHIR service; implemented in storage/ (SQLite now, PostgreSQL later).
// The store knows nothing of FHIR semantics beyond type/id/version: the service builds the
// resource JSON (with meta.versionId/lastUpdated already set) and the store persists it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace healthd::fhir {

// One stored version of a resource.
struct StoredVersion {
  std::string type;
  std::string id;
  int64_t version = 0;          // 1, 2, 3 ... per resource
  int64_t seq = 0;              // store-wide, strictly increasing in commit order
  int64_t last_updated_us = 0;  // microseconds since the Unix epoch, UTC
  enum class Kind { Create, Update, Delete } kind = Kind::Create;  // how this version was made
  std::string json;             // resource body (empty for a Delete version)

  bool deleted() const { return kind == Kind::Delete; }
};

// One change inside a commit.
struct WriteOp {
  enum class Kind {
    Create,  // new version of a resource (history method POST)
    Update,  // new version of a resource (history method PUT)
    Delete,  // a deleted-marker version (history method DELETE), json empty
    Purge,   // remove every version of type/id (hard delete); version is ignored
  };
  Kind kind = Kind::Create;
  std::string type;
  std::string id;
  // The version this op writes. The store checks, inside the transaction, that the
  // resource's newest stored version is exactly version - 1 (0 = no version at all).
  int64_t version = 1;
  int64_t last_updated_us = 0;
  std::string json;
  // false: after writing this version, remove the resource's older versions in the same
  // transaction (the no-version policy keeps only the current version).
  bool keep_history = true;
};

struct CommitResult {
  enum class Status { Ok, Conflict, Error };
  Status status = Status::Ok;
  int failed_op = -1;      // index of the op whose version check failed (Conflict)
  int64_t current_version = 0;  // that resource's newest stored version (Conflict)
  std::string message;     // human-readable reason (Conflict/Error)
  std::vector<int64_t> seqs;  // seq assigned to each op (Ok)

  bool ok() const { return status == Status::Ok; }
};

struct HistoryQuery {
  std::string type;  // empty: system-level history (all types)
  std::string id;    // empty: type-level history (requires type) or system-level
  std::optional<int64_t> since_us;  // only versions with last_updated >= since
  // _at: only versions that were current at some moment in [at_start, at_end)
  std::optional<int64_t> at_start_us;
  std::optional<int64_t> at_end_us;
  int64_t before_seq = INT64_MAX;  // keyset paging: only versions with seq < before_seq
  int count = 10;                  // page size
  bool with_total = false;         // also count all matching versions (ignores before_seq)
};

struct HistoryPage {
  std::vector<StoredVersion> entries;  // newest first (seq descending)
  bool has_more = false;               // more entries exist after the last one
  std::optional<int64_t> total;        // when with_total
};

class Store {
 public:
  virtual ~Store() = default;

  // Applies all ops atomically and durably (an acknowledged commit survives kill -9).
  // Concurrent callers are group-committed into one database transaction; each caller's ops
  // still succeed or fail together. Blocks until the outcome is known. Thread-safe.
  virtual CommitResult commit(std::vector<WriteOp> ops) = 0;

  // The newest version of type/id (which may be a Delete version), or nullopt.
  virtual std::optional<StoredVersion> current(std::string_view type, std::string_view id) = 0;
  // A specific version, or nullopt.
  virtual std::optional<StoredVersion> version(std::string_view type, std::string_view id, int64_t version) = 0;
  virtual HistoryPage history(const HistoryQuery& query) = 0;

  // Finishes queued commits and closes the database. Further calls fail.
  virtual void close() = 0;
};

}  // namespace healthd::fhir
