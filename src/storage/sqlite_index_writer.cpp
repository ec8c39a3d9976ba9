#include "storage/sqlite_index_writer.h"

#include <sqlite3.h>

#include <algorithm>
#include <stdexcept>

#include "storage/sqlite_index_keys.h"

namespace healthd::storage {

namespace {

using fhir::IndexRow;
using fhir::WriteOp;

constexpr const char* kFindResource = "SELECT rid FROM resource WHERE type_id = ?1 AND id = ?2";
constexpr const char* kInsertResource =
    "INSERT INTO resource (rid, type_id, id, seq, last_updated_us, deleted) VALUES (?1, ?2, ?3, ?4, ?5, ?6)";
constexpr const char* kUpdateResource = "UPDATE resource SET seq = ?2, last_updated_us = ?3, deleted = ?4 WHERE rid = ?1";
constexpr const char* kDeleteResource = "DELETE FROM resource WHERE rid = ?1";
constexpr const char* kMaxRid = "SELECT max(rid) FROM resource WHERE rid >= ?1 AND rid < ?2";
// Per IndexTable (String, Token, Ref, Date, Quantity).
constexpr const char* kInsertKey[] = {
    "INSERT OR IGNORE INTO ix_string (pid, value, rid, original) VALUES (?1, ?2, ?3, ?4)",
    "INSERT OR IGNORE INTO ix_token (pid, code, sys, rid) VALUES (?1, ?2, ?3, ?4)",
    "INSERT OR IGNORE INTO ix_ref (pid, value, rid) VALUES (?1, ?2, ?3)",
    "INSERT OR IGNORE INTO ix_date (pid, low, high, rid) VALUES (?1, ?2, ?3, ?4)",
    "INSERT OR IGNORE INTO ix_quantity (pid, low, high, sys, unit, rid) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
    "INSERT OR IGNORE INTO ix_composite (pid, c1, s1, c2, s2, low, high, rid) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
};
constexpr int kColumns[] = {4, 4, 3, 4, 6, 8};
// A resource's keys, through each table's (rid, pid) index (it holds every key column).
constexpr const char* kSelectRid[] = {
    "SELECT pid, value, original FROM ix_string WHERE rid = ?1",
    "SELECT pid, code, sys FROM ix_token WHERE rid = ?1",
    "SELECT pid, value FROM ix_ref WHERE rid = ?1",
    "SELECT pid, low, high FROM ix_date WHERE rid = ?1",
    "SELECT pid, low, high, sys, unit FROM ix_quantity WHERE rid = ?1",
    "SELECT pid, c1, s1, c2, s2, low, high FROM ix_composite WHERE rid = ?1",
};
constexpr const char* kDeleteRid[] = {
    "DELETE FROM ix_string WHERE rid = ?1",   "DELETE FROM ix_token WHERE rid = ?1",
    "DELETE FROM ix_ref WHERE rid = ?1",      "DELETE FROM ix_date WHERE rid = ?1",
    "DELETE FROM ix_quantity WHERE rid = ?1", "DELETE FROM ix_composite WHERE rid = ?1",
};
constexpr const char* kDeleteKey[] = {
    "DELETE FROM ix_string WHERE pid = ?1 AND value = ?2 AND rid = ?3 AND original = ?4",
    "DELETE FROM ix_token WHERE pid = ?1 AND code = ?2 AND sys = ?3 AND rid = ?4",
    "DELETE FROM ix_ref WHERE pid = ?1 AND value = ?2 AND rid = ?3",
    "DELETE FROM ix_date WHERE pid = ?1 AND low = ?2 AND high = ?3 AND rid = ?4",
    "DELETE FROM ix_quantity WHERE pid = ?1 AND low = ?2 AND high = ?3 AND sys = ?4 AND unit = ?5 AND rid = ?6",
    "DELETE FROM ix_composite WHERE pid = ?1 AND c1 = ?2 AND s1 = ?3 AND c2 = ?4 AND s2 = ?5 AND low = ?6"
    " AND high = ?7 AND rid = ?8",
};

IndexTable table_of(IndexRow::Kind k) {
  switch (k) {
    case IndexRow::Kind::String: return IndexTable::String;
    case IndexRow::Kind::Token: return IndexTable::Token;
    case IndexRow::Kind::Reference:
    case IndexRow::Kind::Uri: return IndexTable::Ref;
    case IndexRow::Kind::Date: return IndexTable::Date;
    case IndexRow::Kind::Number:
    case IndexRow::Kind::Quantity: return IndexTable::Quantity;
    case IndexRow::Kind::Composite: return IndexTable::Composite;
  }
  return IndexTable::Token;
}

// A composite key's low/high columns: integers (dates), reals (numbers, quantities) or 0.
void bind_composite_range(Statement& s, int at, const IndexKey& k) {
  if (k.range == 1) {
    s.bind(at, k.ilow).bind(at + 1, k.ihigh);
  } else if (k.range == 2) {
    s.bind_double(at, k.dlow).bind_double(at + 1, k.dhigh);
  } else {
    s.bind(at, int64_t{0}).bind(at + 1, int64_t{0});
  }
}

// The stored key of each row of op, made in the IndexKey that next_key() gives.
template <class NextKey>
void build_keys(const SqliteDictionary& dictionary, const WriteOp& op, int64_t type_id, NextKey next_key) {
  // A parameter's rows come together: its id is looked up once for them (the lookup locks).
  const std::string* last_param = nullptr;
  int64_t pid = 0;
  for (const IndexRow& row : op.index) {
    if (!last_param || row.param != *last_param) {
      auto id = dictionary.param_id(type_id, row.param);
      if (!id) throw std::logic_error("search parameter " + op.type + "." + row.param + " has no id");
      pid = *id;
      last_param = &row.param;
    }
    IndexKey& k = next_key();
    k.table = table_of(row.kind);
    k.pid = pid;
    switch (k.table) {
      case IndexTable::String:
        k.text = row.text;
        k.text2 = row.system;
        break;
      case IndexTable::Token:
        k.text = row.text;
        k.sys = system_hash(row.system);
        break;
      case IndexTable::Ref: k.text = row.text; break;
      case IndexTable::Date:
        k.ilow = row.low_us;
        k.ihigh = row.high_us;
        break;
      case IndexTable::Quantity:
        k.dlow = row.low;
        k.dhigh = row.high;
        k.sys = system_hash(row.system);
        k.text = row.unit;
        break;
      case IndexTable::Composite:
        k.text = row.text;
        k.sys = system_hash(row.system);
        k.text2 = row.unit;
        k.sys2 = system_hash(row.system2);
        if (row.second == IndexRow::Kind::Date) {
          k.range = 1;
          k.ilow = row.low_us;
          k.ihigh = row.high_us;
        } else if (row.second == IndexRow::Kind::Number || row.second == IndexRow::Kind::Quantity) {
          k.range = 2;
          k.dlow = row.low;
          k.dhigh = row.high;
        }
        break;
    }
  }
}

}  // namespace

SqliteIndexWriter::SqliteIndexWriter(Db& db, const SqliteDictionary& dictionary)
    : db_(db),
      dictionary_(dictionary),
      find_(&db.cached(kFindResource)),
      insert_resource_(&db.cached(kInsertResource)),
      update_resource_(&db.cached(kUpdateResource)),
      delete_resource_(&db.cached(kDeleteResource)) {
  for (int i = 0; i < kIndexTables; ++i) {
    delete_[i] = &db.cached(kDeleteKey[i]);
    delete_rid_[i] = &db.cached(kDeleteRid[i]);
    select_rid_[i] = &db.cached(kSelectRid[i]);
  }
}

std::vector<IndexKey> SqliteIndexWriter::keys_of(const WriteOp& op, int64_t type_id) const {
  std::vector<IndexKey> keys;
  keys.reserve(op.index.size());
  build_keys(dictionary_, op, type_id, [&]() -> IndexKey& { return keys.emplace_back(); });
  std::sort(keys.begin(), keys.end(), key_less);
  keys.erase(std::unique(keys.begin(), keys.end(), key_equal), keys.end());
  return keys;
}

int64_t SqliteIndexWriter::new_rid(int64_t type_id) {
  auto [it, fresh] = last_rid_.try_emplace(type_id, 0);
  if (fresh) {
    Statement& s = db_.cached(kMaxRid);
    ResetOnExit reset(s);
    s.bind(1, type_lo(type_id)).bind(2, type_hi(type_id));
    it->second = s.step() && !s.column_is_null(0) ? s.column_int64(0) : type_lo(type_id);
  }
  if (it->second + 1 >= type_hi(type_id)) throw std::runtime_error("resource key space of a type is exhausted");
  return ++it->second;
}

int64_t SqliteIndexWriter::find_rid(const WriteOp& op, int64_t type_id) {
  Statement& s = *find_;
  ResetOnExit reset(s);
  s.bind(1, type_id).bind_text(2, op.id);
  return s.step() ? s.column_int64(0) : 0;
}

std::vector<IndexKey> SqliteIndexWriter::stored_keys(int64_t rid) {
  if (pending_rids_.contains(rid)) flush();  // its first version's rows, written in this batch
  std::vector<IndexKey> keys;
  for (int t = 0; t < kIndexTables; ++t) {
    Statement& s = *select_rid_[t];
    ResetOnExit reset(s);
    s.bind(1, rid);
    while (s.step()) {
      IndexKey& k = keys.emplace_back();
      k.table = static_cast<IndexTable>(t + 1);
      k.pid = s.column_int64(0);
      switch (k.table) {
        case IndexTable::String:
          k.text = s.column_text(1);
          k.text2 = s.column_text(2);
          break;
        case IndexTable::Token:
          k.text = s.column_text(1);
          k.sys = s.column_int64(2);
          break;
        case IndexTable::Ref: k.text = s.column_text(1); break;
        case IndexTable::Date:
          k.ilow = s.column_int64(1);
          k.ihigh = s.column_int64(2);
          break;
        case IndexTable::Quantity:
          k.dlow = s.column_double(1);
          k.dhigh = s.column_double(2);
          k.sys = s.column_int64(3);
          k.text = s.column_text(4);
          break;
        case IndexTable::Composite:
          k.text = s.column_text(1);
          k.sys = s.column_int64(2);
          k.text2 = s.column_text(3);
          k.sys2 = s.column_int64(4);
          // The range's storage class tells what it is (bind_composite_range): integers for
          // dates, reals for numbers and quantities. A stored (0, 0) reads as "no range", the
          // same row as a date range (0, 0): either way the diff keeps or rewrites that row.
          if (s.column_type(5) == SQLITE_FLOAT) {
            k.range = 2;
            k.dlow = s.column_double(5);
            k.dhigh = s.column_double(6);
          } else if (s.column_type(5) == SQLITE_INTEGER && (s.column_int64(5) != 0 || s.column_int64(6) != 0)) {
            k.range = 1;
            k.ilow = s.column_int64(5);
            k.ihigh = s.column_int64(6);
          }
          break;
      }
    }
  }
  std::sort(keys.begin(), keys.end(), key_less);
  return keys;
}

void SqliteIndexWriter::write(const WriteOp& op, int64_t seq) {
  auto type_id = dictionary_.type_id(op.type);
  if (!type_id) throw std::logic_error("resource type " + op.type + " has no id");
  const bool deleted = op.kind == WriteOp::Kind::Delete;
  // Version 1: the commit checked that no version exists, so neither does a resource row.
  int64_t rid = op.version == 1 ? 0 : find_rid(op, *type_id);
  if (rid == 0) {
    rid = new_rid(*type_id);
    Statement& s = *insert_resource_;
    ResetOnExit reset(s);
    s.bind(1, rid).bind(2, *type_id).bind_text(3, op.id).bind(4, seq).bind(5, op.last_updated_us);
    s.bind(6, deleted ? 1 : 0).run();
    if (deleted || op.index.empty()) return;
    // Nothing to diff against: the rows go straight to the batch (flush sorts them, and a
    // repeated row is ignored by the INSERT).
    build_keys(dictionary_, op, *type_id, [&]() -> IndexKey& {
      PendingRow& row = pending_.emplace_back();
      row.rid = rid;
      return row.key;
    });
    pending_rids_.insert(rid);
    return;
  }
  {
    Statement& s = *update_resource_;
    ResetOnExit reset(s);
    s.bind(1, rid).bind(2, seq).bind(3, op.last_updated_us).bind(4, deleted ? 1 : 0).run();
  }
  if (deleted) {
    delete_all(rid);
  } else {
    apply_diff(stored_keys(rid), keys_of(op, *type_id), rid);
  }
}

void SqliteIndexWriter::apply_diff(const std::vector<IndexKey>& old_keys, std::vector<IndexKey>&& keys, int64_t rid) {
  // Both lists are sorted: one merge pass finds what went and what came.
  bool queued = false;
  auto o = old_keys.cbegin();
  auto n = keys.begin();
  while (o != old_keys.cend() || n != keys.end()) {
    if (n == keys.end() || (o != old_keys.cend() && key_less(*o, *n))) {
      delete_key(*o++, rid);
    } else if (o == old_keys.cend() || key_less(*n, *o)) {
      PendingRow& row = pending_.emplace_back();
      row.rid = rid;
      row.key = std::move(*n++);
      queued = true;
    } else {
      ++o;
      ++n;
    }
  }
  if (queued) pending_rids_.insert(rid);
}

void SqliteIndexWriter::delete_all(int64_t rid) {
  if (pending_rids_.contains(rid)) flush();
  for (Statement* s : delete_rid_) {
    ResetOnExit reset(*s);
    s->bind(1, rid).run();
  }
}

void SqliteIndexWriter::discard() {
  pending_.clear();
  pending_rids_.clear();
}

void SqliteIndexWriter::flush() {
  // In each table's key order (its PRIMARY KEY columns, roughly: exact order is not needed for
  // locality), grouped by table, several rows per INSERT: a statement run costs about as much as
  // the B-tree write it makes.
  // Sorted through compact entries (table and parameter, the text's first 8 bytes, position):
  // most comparisons end there, without touching the rows (two strings each), which stay put.
  order_.resize(pending_.size());
  for (uint32_t i = 0; i < order_.size(); ++i) {
    const IndexKey& k = pending_[i].key;
    uint64_t text8 = 0;  // big-endian, zero-padded: orders as the text's first bytes do
    for (size_t b = 0; b < 8; ++b)
      text8 = (text8 << 8) | (b < k.text.size() ? static_cast<unsigned char>(k.text[b]) : 0u);
    order_[i] = SortEntry{(static_cast<uint64_t>(k.table) << 56) | static_cast<uint64_t>(k.pid), text8, i};
  }
  std::sort(order_.begin(), order_.end(), [&](const SortEntry& a, const SortEntry& b) {
    if (a.head != b.head) return a.head < b.head;
    if (a.text8 != b.text8) return a.text8 < b.text8;
    const PendingRow &x = pending_[a.pos], &y = pending_[b.pos];
    const int c = key_compare(x.key, y.key);
    return c < 0 || (c == 0 && x.rid < y.rid);
  });
  for (size_t i = 0; i < order_.size();) {
    const IndexTable table = pending_[order_[i].pos].key.table;
    size_t j = i;
    while (j < order_.size() && pending_[order_[j].pos].key.table == table && j - i < kMaxRowsPerInsert) ++j;
    Statement& s = multi_insert(table, j - i);
    ResetOnExit reset(s);
    int at = 1;
    for (size_t r = i; r < j; ++r) {
      const IndexKey& k = pending_[order_[r].pos].key;
      const int64_t rid = pending_[order_[r].pos].rid;
      switch (table) {
        case IndexTable::String: s.bind(at, k.pid).bind_text(at + 1, k.text).bind(at + 2, rid).bind_text(at + 3, k.text2); break;
        case IndexTable::Token: s.bind(at, k.pid).bind_text(at + 1, k.text).bind(at + 2, k.sys).bind(at + 3, rid); break;
        case IndexTable::Ref: s.bind(at, k.pid).bind_text(at + 1, k.text).bind(at + 2, rid); break;
        case IndexTable::Date: s.bind(at, k.pid).bind(at + 1, k.ilow).bind(at + 2, k.ihigh).bind(at + 3, rid); break;
        case IndexTable::Quantity:
          s.bind(at, k.pid).bind_double(at + 1, k.dlow).bind_double(at + 2, k.dhigh).bind(at + 3, k.sys);
          s.bind_text(at + 4, k.text).bind(at + 5, rid);
          break;
        case IndexTable::Composite:
          s.bind(at, k.pid).bind_text(at + 1, k.text).bind(at + 2, k.sys).bind_text(at + 3, k.text2).bind(at + 4, k.sys2);
          bind_composite_range(s, at + 5, k);
          s.bind(at + 7, rid);
          break;
      }
      at += kColumns[static_cast<int>(table) - 1];
    }
    s.run();
    i = j;
  }
  discard();
}

Statement& SqliteIndexWriter::multi_insert(IndexTable table, size_t rows) {
  Statement*& slot = multi_insert_[static_cast<int>(table) - 1][rows];
  if (!slot) {
    // kInsertKey[t] ends with one "(?1, ?2, ...)" group: repeat it with plain ? placeholders.
    std::string sql = kInsertKey[static_cast<int>(table) - 1];
    sql.resize(sql.find(" VALUES ") + 8);
    const int cols = kColumns[static_cast<int>(table) - 1];
    for (size_t r = 0; r < rows; ++r) {
      sql += r ? ", (" : "(";
      for (int c = 0; c < cols; ++c) sql += c ? ", ?" : "?";
      sql += ")";
    }
    slot = &db_.cached(sql);
  }
  return *slot;
}

void SqliteIndexWriter::reindex(const WriteOp& op) {
  auto type_id = dictionary_.type_id(op.type);
  if (!type_id) throw std::logic_error("resource type " + op.type + " has no id");
  const int64_t rid = find_rid(op, *type_id);
  if (rid == 0) return;  // nothing to index (the version check already passed)
  apply_diff(stored_keys(rid), keys_of(op, *type_id), rid);
}

void SqliteIndexWriter::purge(const WriteOp& op) {
  auto type_id = dictionary_.type_id(op.type);
  if (!type_id) return;  // never written
  const int64_t rid = find_rid(op, *type_id);
  if (rid == 0) return;
  delete_all(rid);
  Statement& s = *delete_resource_;
  ResetOnExit reset(s);
  s.bind(1, rid).run();
}

void SqliteIndexWriter::delete_key(const IndexKey& k, int64_t rid) {
  switch (k.table) {
    case IndexTable::String: {
      Statement& s = *delete_[0];
      ResetOnExit reset(s);
      s.bind(1, k.pid).bind_text(2, k.text).bind(3, rid).bind_text(4, k.text2).run();
      break;
    }
    case IndexTable::Token: {
      Statement& s = *delete_[1];
      ResetOnExit reset(s);
      s.bind(1, k.pid).bind_text(2, k.text).bind(3, k.sys).bind(4, rid).run();
      break;
    }
    case IndexTable::Ref: {
      Statement& s = *delete_[2];
      ResetOnExit reset(s);
      s.bind(1, k.pid).bind_text(2, k.text).bind(3, rid).run();
      break;
    }
    case IndexTable::Date: {
      Statement& s = *delete_[3];
      ResetOnExit reset(s);
      s.bind(1, k.pid).bind(2, k.ilow).bind(3, k.ihigh).bind(4, rid).run();
      break;
    }
    case IndexTable::Quantity: {
      Statement& s = *delete_[4];
      ResetOnExit reset(s);
      s.bind(1, k.pid).bind_double(2, k.dlow).bind_double(3, k.dhigh).bind(4, k.sys).bind_text(5, k.text);
      s.bind(6, rid).run();
      break;
    }
    case IndexTable::Composite: {
      Statement& s = *delete_[5];
      ResetOnExit reset(s);
      s.bind(1, k.pid).bind_text(2, k.text).bind(3, k.sys).bind_text(4, k.text2).bind(5, k.sys2);
      bind_composite_range(s, 6, k);
      s.bind(8, rid).run();
      break;
    }
  }
}

}  // namespace healthd::storage
