#include "storage/sqlite_fhir_store.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <filesystem>
#include <map>
#include <set>
#include <mutex>
#include <stdexcept>
#include <thread>

#include <sqlite3.h>

#include "common/metrics.h"
#include "common/thread_priority.h"
#include "storage/sqlite_checkpointer.h"
#include "storage/sqlite_db.h"
#include "storage/sqlite_history_sql.h"
#include "storage/sqlite_migrations.h"
#include "storage/sqlite_reader_pool.h"
#include "storage/sqlite_dictionary.h"
#include "storage/sqlite_index_writer.h"
#include "storage/sqlite_search_sql.h"
#include "storage/zstd_codec.h"

namespace healthd::storage {

namespace {

using fhir::CommitResult;
using fhir::StoredVersion;
using fhir::WriteOp;

constexpr int kBusyTimeoutMs = 10000;
constexpr int64_t kReaderMmapBytes = 256ll << 20;
constexpr int64_t kWalSizeLimitBytes = 64ll << 20;  // WAL file truncated to this after checkpoints
constexpr std::chrono::milliseconds kCheckpointInterval{100};

// Writer statements.
constexpr const char* kBegin = "BEGIN IMMEDIATE";
constexpr const char* kCommit = "COMMIT";
constexpr const char* kSavepoint = "SAVEPOINT caller";
constexpr const char* kRelease = "RELEASE caller";
constexpr const char* kRollbackTo = "ROLLBACK TO caller";
constexpr const char* kNewestVersion =
    "SELECT version FROM resource_version WHERE type = ?1 AND id = ?2 ORDER BY version DESC LIMIT 1";
constexpr const char* kInsertVersion =
    "INSERT INTO resource_version (seq, type, id, version, last_updated_us, kind, compressed, body)"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)";
constexpr const char* kDeleteOlder = "DELETE FROM resource_version WHERE type = ?1 AND id = ?2 AND version < ?3";
constexpr const char* kPurge = "DELETE FROM resource_version WHERE type = ?1 AND id = ?2";
constexpr const char* kPutState =
    "INSERT INTO service_state (key, value) VALUES (?1, ?2) ON CONFLICT (key) DO UPDATE SET value = excluded.value";
constexpr const char* kSaveNextSeq =
    "INSERT INTO store_meta (key, value) VALUES ('next_seq', ?1)"
    " ON CONFLICT (key) DO UPDATE SET value = excluded.value";

int kind_code(WriteOp::Kind k) {
  switch (k) {
    case WriteOp::Kind::Update: return 1;
    case WriteOp::Kind::Delete: return 2;
    default: return 0;
  }
}

StoredVersion::Kind kind_from_code(int64_t code) {
  if (code == 1) return StoredVersion::Kind::Update;
  if (code == 2) return StoredVersion::Kind::Delete;
  return StoredVersion::Kind::Create;
}

// Reads one row selected with kVersionColumns, starting at column `first`.
StoredVersion read_stored_version(const Statement& s, int first = 0) {
  StoredVersion v;
  v.seq = s.column_int64(first);
  v.type = s.column_text(first + 1);
  v.id = s.column_text(first + 2);
  v.version = s.column_int64(first + 3);
  v.last_updated_us = s.column_int64(first + 4);
  v.kind = kind_from_code(s.column_int64(first + 5));
  std::string_view body = s.column_blob(first + 7);
  v.json = s.column_int64(first + 6) ? zstd::decompress(body) : std::string(body);
  return v;
}

std::string resource_ref(const WriteOp& op) { return op.type + "/" + op.id; }

// A conditional create (WriteOp::unless_match) matched a resource its own caller wrote earlier in
// the same commit (a transaction): the caller's ops are undone and it gets Status::Exists naming
// that resource.
struct OwnMatch {
  int op;
  std::vector<std::string> ids;
};

CommitResult error_result(std::string message) {
  CommitResult r;
  r.status = CommitResult::Status::Error;
  r.message = std::move(message);
  return r;
}

std::string validate(const std::vector<WriteOp>& ops) {
  for (size_t i = 0; i < ops.size(); ++i) {
    const WriteOp& op = ops[i];
    if (op.kind == WriteOp::Kind::PutState) {
      if (op.id.empty()) return "op " + std::to_string(i) + ": a state value needs a name (id)";
      continue;
    }
    if (op.type.empty() || op.id.empty()) return "op " + std::to_string(i) + ": type and id are required";
    if (op.kind != WriteOp::Kind::Purge && op.version < 1)
      return "op " + std::to_string(i) + ": version must be >= 1 for " + resource_ref(op);
  }
  return {};
}

// One caller's commit() waiting in the writer queue; lives on the caller's stack.
struct PendingCommit {
  std::vector<WriteOp> ops;  // bodies already compressed where compressed[i]
  std::vector<uint8_t> compressed;
  // Conditional creates to check again right after they are written: an earlier op of the same
  // caller may match them, which the check before writing cannot see (see check_ops).
  std::vector<uint8_t> recheck;
  CommitResult result;

  std::mutex mu;
  std::condition_variable cv;
  bool done = false;

  void finish() {
    // Notify while holding the lock: once it is released the caller may return and destroy us.
    std::lock_guard lock(mu);
    done = true;
    cv.notify_one();
  }
  void wait() {
    std::unique_lock lock(mu);
    cv.wait(lock, [&] { return done; });
  }
};

class SqliteFhirStore final : public fhir::Store {
 public:
  explicit SqliteFhirStore(const SqliteStoreOptions& options);
  ~SqliteFhirStore() override { close(); }

  CommitResult commit(std::vector<WriteOp> ops) override;
  std::optional<StoredVersion> current(std::string_view type, std::string_view id) override;
  std::optional<StoredVersion> version(std::string_view type, std::string_view id, int64_t version) override;
  fhir::HistoryPage history(const fhir::HistoryQuery& query) override;
  fhir::SearchPage search(const fhir::SearchQuery& query) override;
  std::optional<std::string> state(std::string_view key) override;
  void close() override;

 private:
  void configure_writer();
  void configure_reader(Db& db) const;
  void writer_loop();
  void run_batch(const std::vector<PendingCommit*>& batch);
  // One transaction for the batch; false (rolled back) when a caller failed mid-way and
  // isolate_callers was off. With isolate_callers each caller runs inside its own savepoint.
  bool write_batch(const std::vector<PendingCommit*>& batch, bool isolate_callers);
  // Checks a caller's version preconditions without writing; false on a conflict (result set).
  bool check_ops(PendingCommit& p);
  // Writes a caller's ops (preconditions checked); throws SqliteError.
  void write_ops(PendingCommit& p);
  // Gives the batch's types and search parameters their dictionary ids (own transaction).
  void ensure_dictionary(const std::vector<PendingCommit*>& batch);
  // A store made before schema 2 has versions but no resource rows: one per resource, with no
  // index rows until reindexing (or its next write) adds them.
  void backfill_resources();

  const SqliteStoreOptions options_;
  const metrics::Labels labels_;
  metrics::Histogram& commit_seconds_;
  metrics::Histogram& batch_size_;
  std::shared_ptr<std::atomic<int64_t>> queue_depth_ = std::make_shared<std::atomic<int64_t>>(0);

  // Writer side: touched only by the writer thread once it runs.
  std::unique_ptr<Db> writer_db_;
  int64_t next_seq_ = 1;
  std::unique_ptr<SqliteIndexWriter> index_writer_;

  SqliteDictionary dictionary_;  // shared with readers (it locks)

  std::mutex queue_mu_;
  std::condition_variable queue_cv_;
  std::deque<PendingCommit*> queue_;
  bool closing_ = false;  // guarded by queue_mu_
  std::thread writer_;

  std::unique_ptr<ReaderPool> readers_;
  std::unique_ptr<Checkpointer> checkpointer_;
  std::mutex close_mu_;
  bool closed_ = false;  // guarded by close_mu_
};

std::vector<double> batch_size_bounds() {
  std::vector<double> b;
  for (int n = 1; n <= 512; n *= 2) b.push_back(n);
  return b;
}

SqliteFhirStore::SqliteFhirStore(const SqliteStoreOptions& options)
    : options_(options),
      labels_{{"store", options.metrics_label}},
      commit_seconds_(metrics::histogram("healthd_store_commit_seconds",
                                         "Time a commit() call took, queueing included", labels_)),
      batch_size_(metrics::histogram("healthd_store_commit_batch_size",
                                     "Commit calls group-committed in one transaction", labels_,
                                     batch_size_bounds())) {
  if (options_.path.empty()) throw std::runtime_error("SQLite FHIR store: no database path given");
  try {
    std::filesystem::path parent = std::filesystem::path(options_.path).parent_path();
    if (!parent.empty()) std::filesystem::create_directories(parent);

    writer_db_ = std::make_unique<Db>(options_.path, Db::Mode::ReadWriteCreate);
    configure_writer();
    const int found_version = migrate(*writer_db_, fhir_store_schema());
    dictionary_.load(*writer_db_);
    index_writer_ = std::make_unique<SqliteIndexWriter>(*writer_db_, dictionary_);
    if (found_version == 1) backfill_resources();
    next_seq_ = std::max({writer_db_->query_int("SELECT max(seq) FROM resource_version") + 1,
                          writer_db_->query_int("SELECT value FROM store_meta WHERE key = 'next_seq'"),
                          int64_t{1}});
    // Readers open after the writer made the file a WAL database.
    readers_ = std::make_unique<ReaderPool>(options_.path, options_.read_connections,
                                            [this](Db& db) { configure_reader(db); });
    // The writer's own autocheckpoint stays on as the backstop if this one falls behind.
    checkpointer_ = std::make_unique<Checkpointer>(options_.path, kCheckpointInterval);
  } catch (const std::exception& e) {
    std::string message = e.what();
    if (message.find(options_.path) == std::string::npos) message = options_.path + ": " + message;
    throw std::runtime_error("cannot open SQLite FHIR store: " + message);
  }

  metrics::gauge("healthd_store_write_queue_depth", "Commit calls waiting for the writer", labels_,
                 [depth = queue_depth_] { return static_cast<double>(depth->load()); });
  writer_ = std::thread([this] { writer_loop(); });
}

void SqliteFhirStore::configure_writer() {
  Db& db = *writer_db_;
  db.set_busy_timeout_ms(kBusyTimeoutMs);
  // The first statement reads the header: a file that is not a database fails here.
  std::string mode = db.query_text("PRAGMA journal_mode = WAL");
  if (mode != "wal") throw std::runtime_error("cannot switch to WAL mode (journal_mode is '" + mode + "')");
  db.exec(std::string("PRAGMA synchronous = ") + (options_.synchronous_full ? "FULL" : "NORMAL"));
  db.exec("PRAGMA temp_store = MEMORY");
  db.exec("PRAGMA cache_size = -" + std::to_string(std::max(options_.cache_mb, 1) * 1024));
  db.exec("PRAGMA wal_autocheckpoint = " + std::to_string(options_.wal_autocheckpoint_pages));
  db.exec("PRAGMA journal_size_limit = " + std::to_string(kWalSizeLimitBytes));
}

void SqliteFhirStore::configure_reader(Db& db) const {
  db.set_busy_timeout_ms(kBusyTimeoutMs);
  db.exec("PRAGMA query_only = ON");
  db.exec("PRAGMA temp_store = MEMORY");
  db.exec("PRAGMA cache_size = -" + std::to_string(std::max(options_.cache_mb, 1) * 1024));
  db.exec("PRAGMA mmap_size = " + std::to_string(kReaderMmapBytes));
}

// ---- writes ----

CommitResult SqliteFhirStore::commit(std::vector<WriteOp> ops) {
  const auto start = std::chrono::steady_clock::now();
  if (ops.empty()) return CommitResult{};
  if (std::string problem = validate(ops); !problem.empty()) return error_result(std::move(problem));

  PendingCommit pending;
  // Compress here, on the caller's thread, so the single writer only writes.
  pending.compressed.assign(ops.size(), 0);
  try {
    for (size_t i = 0; i < ops.size(); ++i) {
      WriteOp& op = ops[i];
      if (op.kind == WriteOp::Kind::Delete || op.kind == WriteOp::Kind::Purge || op.kind == WriteOp::Kind::Reindex ||
          op.kind == WriteOp::Kind::PurgeHistory) {
        op.json.clear();
      } else if (op.kind != WriteOp::Kind::PutState && op.json.size() > options_.compress_threshold) {
        std::string packed = zstd::compress(op.json);
        if (packed.size() < op.json.size()) {
          op.json = std::move(packed);
          pending.compressed[i] = 1;
        }
      }
    }
  } catch (const std::exception& e) {
    return error_result(e.what());
  }
  pending.ops = std::move(ops);

  {
    std::lock_guard lock(queue_mu_);
    if (closing_) return error_result("FHIR store is closed");
    queue_.push_back(&pending);
    queue_depth_->fetch_add(1, std::memory_order_relaxed);
  }
  queue_cv_.notify_one();
  pending.wait();

  commit_seconds_.observe(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  return std::move(pending.result);
}

void SqliteFhirStore::writer_loop() {
  name_this_thread("fhir-writer");
  // Every write of the service passes through this one thread: it gets a core before the
  // request threads that feed it (thread_priority.h). Without the right to, it simply keeps 0.
  if (options_.writer_nice != 0) set_this_thread_nice(options_.writer_nice);
  std::vector<PendingCommit*> batch;
  const size_t max_batch = static_cast<size_t>(std::max(options_.max_batch, 1));
  for (;;) {
    batch.clear();
    {
      std::unique_lock lock(queue_mu_);
      queue_cv_.wait(lock, [&] { return closing_ || !queue_.empty(); });
      if (queue_.empty()) return;  // closing and drained
      while (!queue_.empty() && batch.size() < max_batch) {
        batch.push_back(queue_.front());
        queue_.pop_front();
      }
      queue_depth_->fetch_sub(static_cast<int64_t>(batch.size()), std::memory_order_relaxed);
    }
    batch_size_.observe(static_cast<double>(batch.size()));
    run_batch(batch);
    for (PendingCommit* p : batch) p->finish();
  }
}

void SqliteFhirStore::run_batch(const std::vector<PendingCommit*>& batch) {
  Db& db = *writer_db_;
  std::string batch_error;  // set when the whole transaction is lost
  try {
    ensure_dictionary(batch);
    // Savepoints make SQLite copy every page a caller first touches, which costs more than the
    // writes themselves; so callers are first written without them, and only when one fails
    // mid-way is the batch redone with a savepoint per caller.
    if (!write_batch(batch, false)) write_batch(batch, true);
  } catch (const std::exception& e) {
    batch_error = e.what();
  }
  if (batch_error.empty()) return;

  index_writer_->discard();
  try {
    if (db.in_transaction()) db.exec("ROLLBACK");
  } catch (const std::exception&) {
    // The connection reports the failure again on the next batch; nothing more to do here.
  }
  for (PendingCommit* p : batch) p->result = error_result("FHIR store write failed: " + batch_error);
}

bool SqliteFhirStore::write_batch(const std::vector<PendingCommit*>& batch, bool isolate_callers) {
  Db& db = *writer_db_;
  auto step = [&](const char* sql) {
    Statement& s = db.cached(sql);
    ResetOnExit reset(s);
    s.run();
  };
  const int64_t seq_start = next_seq_;
  // A failed run left nothing behind: its rows were rolled back, its pending rows go too.
  auto rollback = [&] {
    index_writer_->discard();
    db.exec("ROLLBACK");
    next_seq_ = seq_start;
  };
  index_writer_->discard();
  step(kBegin);
  for (PendingCommit* p : batch) {
    const int64_t seq_before = next_seq_;
    if (!isolate_callers) {
      // A conflict is found before anything is written, so it needs no undo.
      if (!check_ops(*p)) continue;
      try {
        write_ops(*p);
      } catch (const SqliteError&) {
        if (!db.in_transaction()) throw;
        rollback();
        return false;
      } catch (const OwnMatch&) {
        rollback();  // only this caller's ops need undoing: the batch again, isolated
        return false;
      }
      continue;
    }
    try {
      step(kSavepoint);
      if (check_ops(*p)) write_ops(*p);
      index_writer_->flush();  // this caller's rows inside its savepoint
      step(kRelease);
    } catch (const SqliteError& e) {
      // Some errors (disk full, I/O) make SQLite roll back the whole transaction; others
      // leave it open and only this caller's ops need undoing.
      index_writer_->discard();
      if (!db.in_transaction()) throw;
      step(kRollbackTo);
      step(kRelease);
      next_seq_ = seq_before;
      p->result = error_result(e.what());
    } catch (const OwnMatch& m) {
      index_writer_->discard();
      step(kRollbackTo);
      step(kRelease);
      next_seq_ = seq_before;
      p->result = CommitResult{};
      p->result.status = CommitResult::Status::Exists;
      p->result.failed_op = m.op;
      p->result.existing_ids = m.ids;
      p->result.message = resource_ref(p->ops[m.op]) + " not created: it matches a resource of the same commit";
    }
  }
  if (!isolate_callers) {
    try {
      index_writer_->flush();  // the whole batch's rows, sorted together
    } catch (const SqliteError&) {
      if (!db.in_transaction()) throw;
      rollback();
      return false;
    }
  }
  {
    Statement& s = db.cached(kSaveNextSeq);
    ResetOnExit reset(s);
    s.bind(1, next_seq_).run();
  }
  step(kCommit);
  return true;
}

void SqliteFhirStore::ensure_dictionary(const std::vector<PendingCommit*>& batch) {
  std::vector<std::string> types;
  std::vector<std::pair<std::string, std::string>> params;
  for (const PendingCommit* p : batch)
    for (const WriteOp& op : p->ops) {
      if (op.kind == WriteOp::Kind::Purge || op.kind == WriteOp::Kind::PutState) continue;
      auto tid = dictionary_.type_id(op.type);
      if (!tid) types.push_back(op.type);
      const std::string* last_param = nullptr;  // a parameter's rows come together: one lookup
      for (const fhir::IndexRow& row : op.index) {
        if (last_param && row.param == *last_param) continue;
        last_param = &row.param;
        if (!tid || !dictionary_.param_id(*tid, row.param)) params.emplace_back(op.type, row.param);
      }
    }
  if (types.empty() && params.empty()) return;
  std::sort(params.begin(), params.end());
  params.erase(std::unique(params.begin(), params.end()), params.end());
  dictionary_.ensure(*writer_db_, types, params);
}

void SqliteFhirStore::backfill_resources() {
  Db& db = *writer_db_;
  std::vector<std::string> types;
  {
    Statement s = db.prepare("SELECT DISTINCT type FROM resource_version");
    while (s.step()) types.emplace_back(s.column_text(0));
  }
  dictionary_.ensure(db, types, {});
  db.exec("BEGIN IMMEDIATE");
  try {
    // The newest version of each resource, in creation order of its first version.
    Statement s = db.prepare(
        "SELECT v.type, v.id, v.seq, v.last_updated_us, v.kind FROM resource_version v"
        " WHERE v.version = (SELECT max(n.version) FROM resource_version n WHERE n.type = v.type AND n.id = v.id)"
        " ORDER BY (SELECT min(f.seq) FROM resource_version f WHERE f.type = v.type AND f.id = v.id)");
    std::unordered_map<int64_t, int64_t> last;
    Statement& ins = db.cached(
        "INSERT INTO resource (rid, type_id, id, seq, last_updated_us, deleted) VALUES (?1, ?2, ?3, ?4, ?5, ?6)");
    while (s.step()) {
      const int64_t tid = *dictionary_.type_id(s.column_text(0));
      auto [it, fresh] = last.try_emplace(tid, type_lo(tid));
      ResetOnExit reset(ins);
      ins.bind(1, ++it->second).bind(2, tid).bind_text(3, s.column_text(1)).bind(4, s.column_int64(2));
      ins.bind(5, s.column_int64(3)).bind(6, s.column_int64(4) == 2 ? 1 : 0).run();
    }
    db.exec("COMMIT");
  } catch (...) {
    if (db.in_transaction()) db.exec("ROLLBACK");
    throw;
  }
}

bool SqliteFhirStore::check_ops(PendingCommit& p) {
  Db& db = *writer_db_;
  CommitResult& r = p.result;
  r = CommitResult{};
  p.recheck.assign(p.ops.size(), 0);
  // Versions this caller's earlier ops will have written (ops may touch one resource twice).
  std::map<std::pair<std::string_view, std::string_view>, int64_t> written;
  std::set<std::string_view> types_written;  // types of this caller's earlier creates and updates
  for (size_t i = 0; i < p.ops.size(); ++i) {
    const WriteOp& op = p.ops[i];
    if (op.kind == WriteOp::Kind::PutState) continue;  // no version to check
    const auto key = std::make_pair(std::string_view(op.type), std::string_view(op.id));
    if (op.kind == WriteOp::Kind::Purge) {
      written[key] = 0;
      continue;
    }
    int64_t newest = 0;
    if (auto it = written.find(key); it != written.end()) {
      newest = it->second;
    } else {
      Statement& s = db.cached(kNewestVersion);
      ResetOnExit reset(s);
      s.bind_text(1, op.type).bind_text(2, op.id);
      if (s.step()) newest = s.column_int64(0);
    }
    if (op.unless_match && op.kind == WriteOp::Kind::Create) {
      // Conditional create: the writer's connection sees this batch's earlier writes too.
      fhir::SearchQuery q = *op.unless_match;
      q.count = 2;
      q.with_total = false;
      index_writer_->flush();  // the search reads the batch's earlier rows
      if (auto sql = search_sql(q, dictionary_)) {
        Statement s = db.prepare(sql->page);
        bind_args(s, sql->page_args);
        while (s.step() && r.existing_ids.size() < 2) r.existing_ids.emplace_back(s.column_text(3));
      }
      if (!r.existing_ids.empty()) {
        r.status = CommitResult::Status::Exists;
        r.failed_op = static_cast<int>(i);
        r.message = resource_ref(op) + " not created: a matching resource exists";
        return false;
      }
      p.recheck[i] = types_written.count(op.type) ? 1 : 0;
    }
    if (op.kind == WriteOp::Kind::Create || op.kind == WriteOp::Kind::Update || op.kind == WriteOp::Kind::Amend)
      types_written.insert(op.type);
    // Ops on the current version in place name it; the others write the next one.
    const bool in_place = op.kind == WriteOp::Kind::Reindex || op.kind == WriteOp::Kind::Amend ||
                          op.kind == WriteOp::Kind::PurgeHistory;
    const int64_t expected = in_place ? op.version : op.version - 1;
    if (newest != expected) {
      r.status = CommitResult::Status::Conflict;
      r.failed_op = static_cast<int>(i);
      r.current_version = newest;
      r.message = in_place
                      ? resource_ref(op) + " is at version " + std::to_string(newest) + ", not " +
                            std::to_string(op.version) + "; not changed"
                  : newest == 0 ? resource_ref(op) + " does not exist; cannot write version " + std::to_string(op.version)
                              : resource_ref(op) + " is at version " + std::to_string(newest) +
                                    "; cannot write version " + std::to_string(op.version);
      return false;
    }
    written[key] = op.version;
  }
  return true;
}

void SqliteFhirStore::write_ops(PendingCommit& p) {
  Db& db = *writer_db_;
  CommitResult& r = p.result;
  r.seqs.reserve(p.ops.size());
  for (size_t i = 0; i < p.ops.size(); ++i) {
    const WriteOp& op = p.ops[i];
    if (op.kind == WriteOp::Kind::Purge) {
      Statement& s = db.cached(kPurge);
      ResetOnExit reset(s);
      s.bind_text(1, op.type).bind_text(2, op.id).run();
      index_writer_->purge(op);
      r.seqs.push_back(0);  // nothing is stored, so no seq
      continue;
    }
    if (op.kind == WriteOp::Kind::PutState) {
      Statement& s = db.cached(kPutState);
      ResetOnExit reset(s);
      s.bind_text(1, op.id).bind_text(2, op.json).run();
      r.seqs.push_back(0);
      continue;
    }
    if (op.kind == WriteOp::Kind::Reindex) {
      index_writer_->reindex(op);
      r.seqs.push_back(0);
      continue;
    }
    if (op.kind == WriteOp::Kind::PurgeHistory) {
      Statement& s = db.cached(kDeleteOlder);
      ResetOnExit reset(s);
      s.bind_text(1, op.type).bind_text(2, op.id).bind(3, op.version).run();
      r.seqs.push_back(0);
      continue;
    }
    if (op.kind == WriteOp::Kind::Amend) {
      Statement& s = db.cached(
          "UPDATE resource_version SET body = ?4, compressed = ?5 WHERE type = ?1 AND id = ?2 AND version = ?3");
      ResetOnExit reset(s);
      s.bind_text(1, op.type).bind_text(2, op.id).bind(3, op.version).bind_blob(4, op.json).bind(5, p.compressed[i]);
      s.run();
      index_writer_->reindex(op);
      r.seqs.push_back(0);
      continue;
    }
    const int64_t seq = next_seq_++;
    {
      Statement& s = db.cached(kInsertVersion);
      ResetOnExit reset(s);
      s.bind(1, seq)
          .bind_text(2, op.type)
          .bind_text(3, op.id)
          .bind(4, op.version)
          .bind(5, op.last_updated_us)
          .bind(6, kind_code(op.kind))
          .bind(7, p.compressed[i])
          .bind_blob(8, op.json)
          .run();
    }
    if (!op.keep_history && op.version > 1) {
      Statement& s = db.cached(kDeleteOlder);
      ResetOnExit reset(s);
      s.bind_text(1, op.type).bind_text(2, op.id).bind(3, op.version).run();
    }
    index_writer_->write(op, seq);
    r.seqs.push_back(seq);
    if (p.recheck[i]) {
      // The caller's earlier ops are written now: does the condition match one of them?
      fhir::SearchQuery q = *op.unless_match;
      q.count = 3;
      q.with_total = false;
      OwnMatch m{static_cast<int>(i), {}};
      index_writer_->flush();
      if (auto sql = search_sql(q, dictionary_)) {
        Statement s = db.prepare(sql->page);
        bind_args(s, sql->page_args);
        while (s.step() && m.ids.size() < 2)
          if (std::string id(s.column_text(3)); id != op.id) m.ids.push_back(std::move(id));
      }
      if (!m.ids.empty()) throw m;
    }
  }
}

// ---- reads ----

std::optional<StoredVersion> SqliteFhirStore::current(std::string_view type, std::string_view id) {
  static const std::string sql = std::string("SELECT ") + kVersionColumns +
                                 " FROM resource_version v WHERE v.type = ?1 AND v.id = ?2"
                                 " ORDER BY v.version DESC LIMIT 1";
  auto lease = readers_->acquire();
  if (!lease) return std::nullopt;
  Statement& s = (*lease)->cached(sql);
  ResetOnExit reset(s);
  s.bind_text(1, type).bind_text(2, id);
  if (!s.step()) return std::nullopt;
  return read_stored_version(s);
}

std::optional<std::string> SqliteFhirStore::state(std::string_view key) {
  auto lease = readers_->acquire();
  if (!lease) return std::nullopt;
  Statement& s = (*lease)->cached("SELECT value FROM service_state WHERE key = ?1");
  ResetOnExit reset(s);
  s.bind_text(1, key);
  if (!s.step()) return std::nullopt;
  return std::string(s.column_text(0));
}

std::optional<StoredVersion> SqliteFhirStore::version(std::string_view type, std::string_view id, int64_t version) {
  static const std::string sql = std::string("SELECT ") + kVersionColumns +
                                 " FROM resource_version v WHERE v.type = ?1 AND v.id = ?2 AND v.version = ?3";
  auto lease = readers_->acquire();
  if (!lease) return std::nullopt;
  Statement& s = (*lease)->cached(sql);
  ResetOnExit reset(s);
  s.bind_text(1, type).bind_text(2, id).bind(3, version);
  if (!s.step()) return std::nullopt;
  return read_stored_version(s);
}

fhir::HistoryPage SqliteFhirStore::history(const fhir::HistoryQuery& q) {
  fhir::HistoryPage page;
  const std::string page_sql = history_page_sql(q);  // validates the query shape first
  auto lease = readers_->acquire();
  if (!lease) return page;
  Db& db = **lease;

  // Binds the named parameters a statement uses; the text binds point into q.
  auto bind_common = [&](Statement& s) {
    auto bind_if = [&](const char* name, std::optional<int64_t> v) {
      if (int i = s.parameter_index(name); i > 0 && v) s.bind(i, *v);
    };
    if (int i = s.parameter_index(":type"); i > 0) s.bind_text(i, q.type);
    if (int i = s.parameter_index(":id"); i > 0) s.bind_text(i, q.id);
    bind_if(":since", q.since_us);
    bind_if(":at_start", q.at_start_us);
    bind_if(":at_end", q.at_end_us);
  };

  // Both statements run on one connection outside a transaction, so a commit may land between
  // the page and the total; the total is a count, not a snapshot promise.
  const int count = std::max(q.count, 0);
  {
    Statement& s = db.cached(page_sql);
    ResetOnExit reset(s);
    bind_common(s);
    s.bind(s.parameter_index(":before"), q.before_seq);
    s.bind(s.parameter_index(":limit"), int64_t{count} + 1);  // one extra row tells has_more
    while (s.step()) page.entries.push_back(read_stored_version(s));
  }
  if (page.entries.size() > static_cast<size_t>(count)) {
    page.entries.pop_back();
    page.has_more = true;
  }
  if (q.with_total) {
    Statement& s = db.cached(history_total_sql(q));
    ResetOnExit reset(s);
    bind_common(s);
    if (s.step()) page.total = s.column_int64(0);
  }
  return page;
}

// A sorted page's key columns come after rid and the 8 version columns.
constexpr size_t kSortKeyColumn = 9;

fhir::SortKeyValue sort_key_value(const Statement& s, size_t column) {
  fhir::SortKeyValue v;
  const int c = static_cast<int>(column);
  switch (s.column_type(c)) {
    case SQLITE_INTEGER:
      v.kind = fhir::SortKeyValue::Kind::Int;
      v.i = s.column_int64(c);
      break;
    case SQLITE_FLOAT:
      v.kind = fhir::SortKeyValue::Kind::Real;
      v.d = s.column_double(c);
      break;
    case SQLITE_NULL: break;
    default:
      v.kind = fhir::SortKeyValue::Kind::Text;
      v.t = std::string(s.column_text(c));
      break;
  }
  return v;
}

fhir::SearchPage SqliteFhirStore::search(const fhir::SearchQuery& q) {
  fhir::SearchPage page;
  const std::optional<SearchSql> sql = search_sql(q, dictionary_);  // validates the query first
  if (!sql) {
    if (q.with_total) page.total = 0;
    return page;
  }
  auto lease = readers_->acquire();
  if (!lease) return page;
  Db& db = **lease;
  // Query shapes vary with the parameters, but a few repeat (the values are bound): the
  // connection keeps its most recent statements prepared.
  const int count = std::max(q.count, 0);
  page.snapshot_seq = q.snapshot_seq;
  if (page.snapshot_seq <= 0) {
    // Read first, so no resource the page could show is newer than it (the page's statements
    // see at least what this one saw).
    Statement& s = db.cached_recent("SELECT coalesce(max(seq), 0) FROM resource_version");
    ResetOnExit reset(s);
    if (s.step()) page.snapshot_seq = s.column_int64(0);
  }
  // Reads a page statement's rows into `page`; false when it returned at most `count` rows and
  // `complete_only` asked for a full page (count + 1 rows) or nothing.
  auto read_page = [&](const std::string& text, const std::vector<SqlArg>& args, bool complete_only) {
    Statement& s = db.cached_recent(text);
    ResetOnExit reset(s);
    bind_args(s, args);
    std::vector<StoredVersion> entries;
    std::vector<int64_t> rids;
    std::vector<std::vector<fhir::SortKeyValue>> keys;  // each entry's sort keys (sorted searches)
    bool more = false;
    while (s.step()) {
      if (entries.size() == static_cast<size_t>(count)) {
        more = true;
        break;
      }
      rids.push_back(s.column_int64(0));
      entries.push_back(read_stored_version(s, 1));
      auto& k = keys.emplace_back();
      for (size_t c = 0; c < sql->sort_columns; ++c) k.push_back(sort_key_value(s, kSortKeyColumn + c));
    }
    if (complete_only && !more) return false;
    if (q.backward) {
      // Read nearest the cursor first: put the page back in order. `more` means more before it;
      // after it there is at least the cursor's resource.
      std::reverse(entries.begin(), entries.end());
      std::reverse(rids.begin(), rids.end());
      std::reverse(keys.begin(), keys.end());
      page.has_previous = more && !entries.empty();
      page.has_more = !entries.empty();
    } else {
      page.has_more = more;
      page.has_previous = q.after > 0 && !entries.empty();
    }
    if (page.has_previous) {  // implies an entry
      page.previous = rids.front();
      page.previous_keys = keys.front();
    }
    if (page.has_more && !rids.empty()) {  // _count=0 reads one row to know there are more
      page.next = rids.back();
      page.next_keys = keys.back();
    }
    page.entries = std::move(entries);
    return true;
  };
  bool done = false;
  if (!sql->dense_count.empty()) {
    int64_t listed = 0;
    {
      Statement& s = db.cached_recent(sql->dense_count);
      ResetOnExit reset(s);
      bind_args(s, sql->dense_count_args);
      if (s.step()) listed = s.column_int64(0);
    }
    if (listed >= kDenseMatches) done = read_page(sql->dense_page, sql->dense_page_args, true);
  }
  if (!done) read_page(sql->page, sql->page_args, false);
  if (q.with_total) {
    Statement& s = db.cached_recent(sql->total);
    ResetOnExit reset(s);
    bind_args(s, sql->total_args);
    if (s.step()) page.total = s.column_int64(0);
  }
  return page;
}

// ---- shutdown ----

void SqliteFhirStore::close() {
  std::lock_guard close_lock(close_mu_);
  if (closed_) return;
  closed_ = true;
  {
    std::lock_guard lock(queue_mu_);
    closing_ = true;
  }
  queue_cv_.notify_all();
  if (writer_.joinable()) writer_.join();  // the writer drains the queue before it returns
  metrics::remove_gauge("healthd_store_write_queue_depth", labels_);
  if (checkpointer_) checkpointer_->stop();
  if (readers_) readers_->close();  // readers first: the last connection to close checkpoints
  writer_db_.reset();
}

}  // namespace

std::shared_ptr<fhir::Store> open_sqlite_fhir_store(const SqliteStoreOptions& options) {
  return std::make_shared<SqliteFhirStore>(options);
}

}  // namespace healthd::storage
