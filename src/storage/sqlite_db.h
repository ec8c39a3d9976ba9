// A thin RAII wrapper over one sqlite3 connection and its prepared statements.
// Errors throw SqliteError. Neither type is thread-safe: one connection is used by one thread
// at a time (connections are opened with SQLITE_OPEN_NOMUTEX).
// This header deliberately does not include <sqlite3.h>, so nothing outside storage/ sees SQLite.
#pragma once

#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <list>
#include <string_view>
#include <unordered_map>

struct sqlite3;
struct sqlite3_stmt;

namespace healthd::storage {

class SqliteError : public std::runtime_error {
 public:
  SqliteError(int code, const std::string& message) : std::runtime_error(message), code_(code) {}
  int code() const { return code_; }  // SQLite extended result code

 private:
  int code_;
};

class Statement {
 public:
  Statement(sqlite3* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}
  ~Statement();
  Statement(Statement&& other) noexcept : db_(other.db_), stmt_(other.stmt_) { other.stmt_ = nullptr; }
  Statement& operator=(Statement&&) = delete;
  Statement(const Statement&) = delete;

  // Parameters are 1-based. Text and blobs are bound without copying: the caller keeps them
  // alive until reset() (use ResetOnExit).
  Statement& bind(int index, int64_t value);
  Statement& bind_double(int index, double value);
  Statement& bind_text(int index, std::string_view value);
  Statement& bind_blob(int index, std::string_view bytes);  // never NULL, even when empty
  // Index of a named parameter such as ":since", 0 when the statement has none.
  int parameter_index(const char* name) const;

  // true: a row is available; false: done. Throws SqliteError.
  bool step();
  // Runs a statement that returns no rows we care about.
  void run() {
    while (step()) {
    }
  }
  void reset();  // ready to run again, bindings cleared

  int64_t column_int64(int column) const;
  bool column_is_null(int column) const;
  double column_double(int column) const;
  // The value's storage class: 1 integer, 2 real, 3 text, 4 blob, 5 null (SQLITE_INTEGER ...).
  int column_type(int column) const;
  std::string_view column_text(int column) const;
  std::string_view column_blob(int column) const;

 private:
  sqlite3* db_;
  sqlite3_stmt* stmt_;
};

// Resets a (cached) statement when the scope ends, whatever happens inside.
class ResetOnExit {
 public:
  explicit ResetOnExit(Statement& s) : s_(s) {}
  ~ResetOnExit() { s_.reset(); }
  ResetOnExit(const ResetOnExit&) = delete;

 private:
  Statement& s_;
};

class Db {
 public:
  enum class Mode { ReadWriteCreate, ReadOnly };
  // Opens (does not yet read) the file. Throws SqliteError.
  Db(const std::string& path, Mode mode);
  ~Db();
  Db(const Db&) = delete;
  Db& operator=(const Db&) = delete;

  // Runs one or more statements, ignoring rows.
  void exec(const std::string& sql);
  // The first column of the first row as an integer (0 when there is no row).
  int64_t query_int(const std::string& sql);
  // The first column of the first row as text ("" when there is no row).
  std::string query_text(const std::string& sql);

  Statement prepare(std::string_view sql);
  // A prepared statement kept for the life of the connection, keyed by its SQL text.
  Statement& cached(const std::string& sql);
  // For SQL texts built per request (search): a prepared statement kept among the connection's
  // kRecentStatements most recently used, so a repeated query shape skips preparing. The
  // reference is valid until the next call (which may evict it); reset it before (ResetOnExit).
  Statement& cached_recent(const std::string& sql);
  static constexpr size_t kRecentStatements = 64;

  void set_busy_timeout_ms(int ms);
  bool in_transaction() const;  // false when autocommit (no BEGIN active)
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  sqlite3* db_ = nullptr;
  std::unordered_map<std::string, std::unique_ptr<Statement>> cache_;
  struct Recent {
    std::string sql;
    Statement stmt;
  };
  std::list<Recent> recent_;  // most recently used first
  std::unordered_map<std::string_view, std::list<Recent>::iterator> recent_by_sql_;  // keys view recent_'s sql
};

}  // namespace healthd::storage
