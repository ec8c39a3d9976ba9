#include "storage/sqlite_migrations.h"

#include <stdexcept>

namespace healthd::storage {

int migrate(Db& db, const Schema& schema) {
  const int found = static_cast<int>(db.query_int("PRAGMA user_version"));
  const int64_t app_id = db.query_int("PRAGMA application_id");
  const std::string where = db.path() + ": ";

  if (app_id != 0 && app_id != schema.application_id)
    throw std::runtime_error(where + "not a " + schema.name + " (application_id " + std::to_string(app_id) + ")");
  if (found == 0 && db.query_int("SELECT count(*) FROM sqlite_schema") != 0)
    throw std::runtime_error(where + "not a " + schema.name + " (it already holds other tables)");
  if (found > schema.latest())
    throw std::runtime_error(where + schema.name + " schema version " + std::to_string(found) +
                             " is newer than this healthd supports (" + std::to_string(schema.latest()) +
                             "); upgrade healthd");

  for (const Migration& step : schema.migrations) {
    if (step.version <= found) continue;
    db.exec("BEGIN IMMEDIATE");
    try {
      db.exec(step.sql);
      db.exec("PRAGMA application_id = " + std::to_string(schema.application_id));
      db.exec("PRAGMA user_version = " + std::to_string(step.version));
      db.exec("COMMIT");
    } catch (const std::exception& e) {
      if (db.in_transaction()) db.exec("ROLLBACK");
      throw std::runtime_error(where + "migration to " + schema.name + " schema version " +
                               std::to_string(step.version) + " failed: " + e.what());
    }
  }
  return found;
}

const Schema& fhir_store_schema() {
  static const Schema schema{
      "healthd FHIR store",
      0x68464852,  // "hFHR"
      {
          {1, R"sql(
            -- Every version of every resource. seq (the rowid) is store-wide and increases in
            -- commit order; history pages are keyset-paged on it.
            CREATE TABLE resource_version (
              seq             INTEGER PRIMARY KEY,
              type            TEXT    NOT NULL,
              id              TEXT    NOT NULL,
              version         INTEGER NOT NULL,
              last_updated_us INTEGER NOT NULL,
              kind            INTEGER NOT NULL,  -- 0 create, 1 update, 2 delete
              compressed      INTEGER NOT NULL,  -- 1: body is one zstd frame
              body            BLOB    NOT NULL   -- empty for a delete
            );
            -- Current version and instance history: newest version of (type, id) in O(log n).
            CREATE UNIQUE INDEX resource_version_by_key ON resource_version (type, id, version);
            -- Type-level history. SQLite appends the rowid (seq) to every index entry, so this
            -- index is ordered by (type, seq) without storing seq twice.
            CREATE INDEX resource_version_by_type ON resource_version (type);
            -- Small store-wide values; 'next_seq' keeps seq increasing even after the newest
            -- versions are purged.
            CREATE TABLE store_meta (
              key   TEXT PRIMARY KEY,
              value INTEGER NOT NULL
            ) WITHOUT ROWID;
          )sql"},
          {2, R"sql(
            -- Search index values of each resource's current version (none for deleted ones),
            -- replaced in the transaction that writes the version. kind: 0 string, 1 token,
            -- 2 reference, 3 date, 4 number, 5 quantity, 6 uri. text: normalized string, token
            -- code, reference key or uri; system: token/quantity system or the original string;
            -- low/high: INTEGER microseconds for dates, REAL for numbers and quantities.
            CREATE TABLE search_index (
              type   TEXT    NOT NULL,
              param  TEXT    NOT NULL,
              kind   INTEGER NOT NULL,
              text   TEXT    NOT NULL,
              system TEXT    NOT NULL,
              unit   TEXT    NOT NULL,
              low,
              high,
              id     TEXT    NOT NULL
            );
            -- Token, string, reference and uri lookups: (type, param, text) -> ids.
            CREATE INDEX search_index_by_text ON search_index (type, param, text, system);
            -- Date, number and quantity ranges.
            CREATE INDEX search_index_by_low ON search_index (type, param, low, high);
            -- Replacing one resource's rows, and EXISTS checks per candidate resource.
            CREATE INDEX search_index_by_resource ON search_index (type, id, param);
          )sql"},
      },
  };
  return schema;
}

}  // namespace healthd::storage
