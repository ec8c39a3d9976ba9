// Keeps table `resource` and the ix_* tables in step with each write, inside the writer's
// transaction: a new version writes only the index keys that changed (none, for most updates),
// a deletion or purge removes the resource's keys. The keys a resource has are read back from
// the ix_* tables through their (rid, pid) indexes, so a first version (most writes) reads nothing.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "fhir/store.h"
#include "storage/sqlite_db.h"
#include "storage/sqlite_dictionary.h"
#include "storage/sqlite_index_keys.h"

namespace healthd::storage {

class SqliteIndexWriter {
 public:
  // Prepares its statements on db (the writer connection, schema migrated).
  SqliteIndexWriter(Db& db, const SqliteDictionary& dictionary);

  // op (Create/Update/Delete) became the current version, stored as seq. The dictionary must
  // already hold op's type and every param of op.index. A version 1 (checked: no version of
  // the resource exists) needs no lookup of the resource's row.
  void write(const fhir::WriteOp& op, int64_t seq);
  // op (Purge) removed every version of its resource.
  void purge(const fhir::WriteOp& op);
  // op (Reindex): the current version's index becomes op.index; no version is written.
  void reindex(const fhir::WriteOp& op);
  // The stored keys of op.index (sorted by key_less, unique).
  std::vector<IndexKey> keys_of(const fhir::WriteOp& op, int64_t type_id) const;

  // New index rows wait until flush(), which writes all of them sorted by table and key: the
  // rows of many resources then reach each B-tree in key order (neighbouring inserts touch the
  // same pages) instead of one resource at a time at random places. Call flush() before
  // anything reads the ix_* tables on this connection and before the transaction commits (or a
  // savepoint is released); discard() after a rollback.
  void flush();
  void discard();

 private:
  struct PendingRow {
    IndexKey key;
    int64_t rid = 0;
  };
  int64_t new_rid(int64_t type_id);
  // The rid of op's resource, 0 when it has no row.
  int64_t find_rid(const fhir::WriteOp& op, int64_t type_id);
  // The keys stored for rid (sorted by key_less); rows still waiting for flush() are written first.
  std::vector<IndexKey> stored_keys(int64_t rid);
  // Removes the keys in old_keys but not in keys and queues the others (both sorted).
  void apply_diff(const std::vector<IndexKey>& old_keys, std::vector<IndexKey>&& keys, int64_t rid);
  // Removes every key of rid (a deletion, a purge).
  void delete_all(int64_t rid);
  Statement& multi_insert(IndexTable table, size_t rows);
  static constexpr size_t kMaxRowsPerInsert = 16;
  void delete_key(const IndexKey& key, int64_t rid);

  Db& db_;
  const SqliteDictionary& dictionary_;
  // Prepared once (owned by db_'s statement cache): one B-tree write per key is the whole cost
  // worth paying on the single writer thread.
  Statement* find_;
  Statement* insert_resource_;
  Statement* update_resource_;
  Statement* delete_resource_;
  Statement* delete_[kIndexTables];      // one key, by IndexTable - 1
  Statement* delete_rid_[kIndexTables];  // every key of a rid
  Statement* select_rid_[kIndexTables];  // every key of a rid, read back
  Statement* multi_insert_[kIndexTables][kMaxRowsPerInsert + 1] = {};  // [table - 1][rows], prepared on first use
  // type_id -> highest rid handed out. A rid handed out in a transaction that rolls back is
  // simply never used: rids only grow.
  std::unordered_map<int64_t, int64_t> last_rid_;
  std::vector<PendingRow> pending_;
  struct SortEntry {
    uint64_t head;   // table << 56 | pid
    uint64_t text8;  // the key text's first 8 bytes, big-endian
    uint32_t pos;    // in pending_
  };
  std::vector<SortEntry> order_;  // flush(): pending_ in key order
  std::unordered_set<int64_t> pending_rids_;  // rids with rows in pending_ (a delete flushes first)
};

}  // namespace healthd::storage
