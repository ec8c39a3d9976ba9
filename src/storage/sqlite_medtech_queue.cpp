#include "storage/sqlite_medtech_queue.h"

#include <mutex>
#include <stdexcept>

#include "storage/sqlite_db.h"
#include "storage/sqlite_migrations.h"

namespace healthd::storage {

namespace {

const Schema& queue_schema() {
  static const Schema schema{
      "healthd MedTech queue",
      0x484d5451,  // "HMTQ"
      {{1,
        "CREATE TABLE queue (seq INTEGER PRIMARY KEY AUTOINCREMENT, received_us INTEGER NOT NULL,"
        " payload BLOB NOT NULL);"
        "CREATE TABLE dead_letter (id INTEGER PRIMARY KEY AUTOINCREMENT, at_us INTEGER NOT NULL,"
        " stage TEXT NOT NULL, kind TEXT NOT NULL, reason TEXT NOT NULL, payload BLOB NOT NULL);"}}};
  return schema;
}

// Runs `work` in one IMMEDIATE transaction, rolled back when it throws.
template <typename F>
void in_transaction(Db& db, F&& work) {
  db.exec("BEGIN IMMEDIATE");
  try {
    work();
    db.exec("COMMIT");
  } catch (...) {
    if (db.in_transaction()) db.exec("ROLLBACK");
    throw;
  }
}

class SqliteMedtechQueue final : public medtech::MessageQueue {
 public:
  explicit SqliteMedtechQueue(const SqliteMedtechQueueOptions& options) : db_(options.path, Db::Mode::ReadWriteCreate) {
    db_.set_busy_timeout_ms(5000);
    std::string mode = db_.query_text("PRAGMA journal_mode = WAL");
    if (mode != "wal") throw std::runtime_error("cannot use WAL journal for " + options.path);
    db_.exec(std::string("PRAGMA synchronous = ") + (options.synchronous_full ? "FULL" : "NORMAL"));
    migrate(db_, queue_schema());
    size_ = static_cast<size_t>(db_.query_int("SELECT COUNT(*) FROM queue"));
  }
  ~SqliteMedtechQueue() override = default;

  void push(const std::vector<std::string>& payloads, int64_t received_us) override {
    if (payloads.empty()) return;
    std::lock_guard lock(mu_);
    check_open();
    Statement& insert = db_.cached("INSERT INTO queue (received_us, payload) VALUES (?1, ?2)");
    in_transaction(db_, [&] {
      for (const auto& p : payloads) {
        ResetOnExit reset(insert);
        insert.bind(1, received_us).bind_blob(2, p);
        insert.run();
      }
    });
    size_ += payloads.size();
  }

  std::vector<medtech::QueuedMessage> peek(size_t max) override {
    std::lock_guard lock(mu_);
    check_open();
    std::vector<medtech::QueuedMessage> out;
    Statement& select = db_.cached("SELECT seq, received_us, payload FROM queue ORDER BY seq LIMIT ?1");
    ResetOnExit reset(select);
    select.bind(1, static_cast<int64_t>(max));
    while (select.step())
      out.push_back({select.column_int64(0), select.column_int64(1), std::string(select.column_blob(2))});
    return out;
  }

  void ack(int64_t up_to_seq, const std::vector<medtech::DeadLetter>& dead) override {
    std::lock_guard lock(mu_);
    check_open();
    Statement& remove = db_.cached("DELETE FROM queue WHERE seq <= ?1");
    Statement& insert = db_.cached(
        "INSERT INTO dead_letter (at_us, stage, kind, reason, payload) VALUES (?1, ?2, ?3, ?4, ?5)");
    in_transaction(db_, [&] {
      {
        ResetOnExit reset(remove);
        remove.bind(1, up_to_seq);
        remove.run();
      }
      for (const auto& d : dead) {
        ResetOnExit reset(insert);
        insert.bind(1, d.at_us).bind_text(2, d.stage).bind_text(3, d.kind).bind_text(4, d.reason).bind_blob(5, d.payload);
        insert.run();
      }
    });
    size_ = static_cast<size_t>(db_.query_int("SELECT COUNT(*) FROM queue"));
  }

  size_t size() override {
    std::lock_guard lock(mu_);
    return size_;
  }

  std::vector<medtech::DeadLetter> dead_letters(size_t max) override {
    std::lock_guard lock(mu_);
    check_open();
    std::vector<medtech::DeadLetter> out;
    Statement& select =
        db_.cached("SELECT id, at_us, stage, kind, reason, payload FROM dead_letter ORDER BY id LIMIT ?1");
    ResetOnExit reset(select);
    select.bind(1, static_cast<int64_t>(max));
    while (select.step())
      out.push_back({select.column_int64(0), select.column_int64(1), std::string(select.column_text(2)),
                     std::string(select.column_text(3)), std::string(select.column_text(4)),
                     std::string(select.column_blob(5))});
    return out;
  }

  size_t dead_letter_count() override {
    std::lock_guard lock(mu_);
    check_open();
    return static_cast<size_t>(db_.query_int("SELECT COUNT(*) FROM dead_letter"));
  }

  size_t replay_dead_letters(int64_t now_us) override {
    std::lock_guard lock(mu_);
    check_open();
    size_t before = size_;
    in_transaction(db_, [&] {
      // One message per distinct payload, in the order the first of them failed.
      db_.exec("INSERT INTO queue (received_us, payload) SELECT " + std::to_string(now_us) +
               ", payload FROM dead_letter GROUP BY payload ORDER BY MIN(id)");
      db_.exec("DELETE FROM dead_letter");
    });
    size_ = static_cast<size_t>(db_.query_int("SELECT COUNT(*) FROM queue"));
    return size_ - before;
  }

  void close() override {
    std::lock_guard lock(mu_);
    closed_ = true;
  }

 private:
  void check_open() const {
    if (closed_) throw std::runtime_error("the MedTech queue is closed");
  }

  std::mutex mu_;
  Db db_;
  size_t size_ = 0;
  bool closed_ = false;
};

}  // namespace

std::unique_ptr<medtech::MessageQueue> open_sqlite_medtech_queue(const SqliteMedtechQueueOptions& options) {
  return std::make_unique<SqliteMedtechQueue>(options);
}

}  // namespace healthd::storage
