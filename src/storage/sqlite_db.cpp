#include "storage/sqlite_db.h"

#include <sqlite3.h>

namespace healthd::storage {

namespace {

[[noreturn]] void throw_error(sqlite3* db, int rc, std::string_view what) {
  std::string message(what);
  message += ": ";
  message += db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  throw SqliteError(db ? sqlite3_extended_errcode(db) : rc, message);
}

void check_bind(sqlite3* db, int rc) {
  if (rc != SQLITE_OK) throw_error(db, rc, "sqlite bind");
}

}  // namespace

Statement::~Statement() {
  if (stmt_) sqlite3_finalize(stmt_);
}

Statement& Statement::bind_double(int index, double value) {
  check_bind(db_, sqlite3_bind_double(stmt_, index, value));
  return *this;
}

Statement& Statement::bind(int index, int64_t value) {
  check_bind(db_, sqlite3_bind_int64(stmt_, index, value));
  return *this;
}

Statement& Statement::bind_text(int index, std::string_view value) {
  check_bind(db_, sqlite3_bind_text(stmt_, index, value.data(), static_cast<int>(value.size()), SQLITE_STATIC));
  return *this;
}

Statement& Statement::bind_blob(int index, std::string_view bytes) {
  // A null pointer would bind NULL; point at a static byte so empty stays a zero-length blob.
  static const char kEmpty = 0;
  const void* data = bytes.empty() ? &kEmpty : bytes.data();
  check_bind(db_, sqlite3_bind_blob64(stmt_, index, data, bytes.size(), SQLITE_STATIC));
  return *this;
}

int Statement::parameter_index(const char* name) const { return sqlite3_bind_parameter_index(stmt_, name); }

bool Statement::step() {
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  throw_error(db_, rc, "sqlite step");
}

void Statement::reset() {
  sqlite3_reset(stmt_);
  sqlite3_clear_bindings(stmt_);
}

int64_t Statement::column_int64(int column) const { return sqlite3_column_int64(stmt_, column); }

bool Statement::column_is_null(int column) const { return sqlite3_column_type(stmt_, column) == SQLITE_NULL; }

double Statement::column_double(int column) const { return sqlite3_column_double(stmt_, column); }

int Statement::column_type(int column) const { return sqlite3_column_type(stmt_, column); }

std::string_view Statement::column_text(int column) const {
  auto* p = reinterpret_cast<const char*>(sqlite3_column_text(stmt_, column));
  return p ? std::string_view(p, static_cast<size_t>(sqlite3_column_bytes(stmt_, column))) : std::string_view();
}

std::string_view Statement::column_blob(int column) const {
  auto* p = static_cast<const char*>(sqlite3_column_blob(stmt_, column));
  return p ? std::string_view(p, static_cast<size_t>(sqlite3_column_bytes(stmt_, column))) : std::string_view();
}

Db::Db(const std::string& path, Mode mode) : path_(path) {
  int flags = SQLITE_OPEN_NOMUTEX;
  flags |= mode == Mode::ReadOnly ? SQLITE_OPEN_READONLY : (SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
  int rc = sqlite3_open_v2(path.c_str(), &db_, flags, nullptr);
  if (rc != SQLITE_OK) {
    std::string message = "cannot open SQLite database " + path + ": " +
                          (db_ ? sqlite3_errmsg(db_) : sqlite3_errstr(rc));
    sqlite3_close(db_);
    db_ = nullptr;
    throw SqliteError(rc, message);
  }
  sqlite3_extended_result_codes(db_, 1);
}

Db::~Db() {
  cache_.clear();  // statements first: sqlite3_close refuses while any are alive
  recent_by_sql_.clear();
  recent_.clear();
  sqlite3_close(db_);
}

void Db::exec(const std::string& sql) {
  char* err = nullptr;
  int rc = sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err);
  if (rc != SQLITE_OK) {
    std::string message = "sqlite exec: " + std::string(err ? err : sqlite3_errstr(rc));
    sqlite3_free(err);
    throw SqliteError(sqlite3_extended_errcode(db_), message);
  }
}

int64_t Db::query_int(const std::string& sql) {
  Statement s = prepare(sql);
  return s.step() ? s.column_int64(0) : 0;
}

std::string Db::query_text(const std::string& sql) {
  Statement s = prepare(sql);
  return s.step() ? std::string(s.column_text(0)) : std::string();
}

Statement Db::prepare(std::string_view sql) {
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v3(db_, sql.data(), static_cast<int>(sql.size()), SQLITE_PREPARE_PERSISTENT, &stmt, nullptr);
  if (rc != SQLITE_OK) throw_error(db_, rc, "sqlite prepare");
  return Statement(db_, stmt);
}

Statement& Db::cached(const std::string& sql) {
  auto it = cache_.find(sql);
  if (it != cache_.end()) return *it->second;
  auto stmt = std::make_unique<Statement>(prepare(sql));
  return *cache_.emplace(sql, std::move(stmt)).first->second;
}

Statement& Db::cached_recent(const std::string& sql) {
  if (auto it = recent_by_sql_.find(sql); it != recent_by_sql_.end()) {
    recent_.splice(recent_.begin(), recent_, it->second);
    return it->second->stmt;
  }
  Statement stmt = prepare(sql);
  if (recent_.size() >= kRecentStatements) {
    recent_by_sql_.erase(recent_.back().sql);
    recent_.pop_back();
  }
  recent_.push_front(Recent{sql, std::move(stmt)});
  recent_by_sql_.emplace(recent_.front().sql, recent_.begin());
  return recent_.front().stmt;
}

void Db::set_busy_timeout_ms(int ms) { sqlite3_busy_timeout(db_, ms); }

bool Db::in_transaction() const { return sqlite3_get_autocommit(db_) == 0; }

}  // namespace healthd::storage
