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
            -- One row per resource: its current version (seq) and the search index keys written
            -- for it. rid = (type_id << 40) + n, so one type's resources are one rowid range and
            -- index lookups return rids in creation order (the search result order).
            CREATE TABLE resource (
              rid             INTEGER PRIMARY KEY,
              type_id         INTEGER NOT NULL,
              id              TEXT    NOT NULL,
              seq             INTEGER NOT NULL,  -- resource_version.seq of the current version
              last_updated_us INTEGER NOT NULL,
              deleted         INTEGER NOT NULL,  -- 1: the current version is a deletion
              index_keys      BLOB               -- the index rows of the current version; NULL: never indexed
            );
            CREATE UNIQUE INDEX resource_by_id ON resource (type_id, id);
            -- Dictionaries: resource types and (type, search parameter code) as small integers.
            CREATE TABLE search_type (
              type_id INTEGER PRIMARY KEY,
              name    TEXT NOT NULL UNIQUE
            );
            CREATE TABLE search_param (
              pid     INTEGER PRIMARY KEY,
              type_id INTEGER NOT NULL,
              code    TEXT    NOT NULL,
              UNIQUE (type_id, code)
            );
            -- Index values of current, non-deleted resources, one table per value kind, each keyed
            -- for its lookups (one B-tree per row written). pid: search_param; rid: resource.
            CREATE TABLE ix_string (   -- value: normalized (case/accent folded); original for :exact
              pid INTEGER NOT NULL, value TEXT NOT NULL, rid INTEGER NOT NULL, original TEXT NOT NULL,
              PRIMARY KEY (pid, value, rid, original)
            ) WITHOUT ROWID;
            CREATE TABLE ix_token (    -- sys: 64-bit hash of the system, 0 when there is none
              pid INTEGER NOT NULL, code TEXT NOT NULL, sys INTEGER NOT NULL, rid INTEGER NOT NULL,
              PRIMARY KEY (pid, code, sys, rid)
            ) WITHOUT ROWID;
            CREATE TABLE ix_ref (      -- references ("Patient/1" or absolute) and uris
              pid INTEGER NOT NULL, value TEXT NOT NULL, rid INTEGER NOT NULL,
              PRIMARY KEY (pid, value, rid)
            ) WITHOUT ROWID;
            CREATE TABLE ix_date (     -- [low, high) in microseconds since the epoch
              pid INTEGER NOT NULL, low INTEGER NOT NULL, high INTEGER NOT NULL, rid INTEGER NOT NULL,
              PRIMARY KEY (pid, low, high, rid)
            ) WITHOUT ROWID;
            CREATE TABLE ix_quantity ( -- numbers (sys 0, unit '') and quantities: [low, high]
              pid INTEGER NOT NULL, low REAL NOT NULL, high REAL NOT NULL, sys INTEGER NOT NULL,
              unit TEXT NOT NULL, rid INTEGER NOT NULL,
              PRIMARY KEY (pid, low, high, sys, unit, rid)
            ) WITHOUT ROWID;
            -- One resource's values of one parameter (_sort). rid first: a new resource's rows
            -- land together at the end of each index.
            CREATE INDEX ix_string_by_rid ON ix_string (rid, pid);
            CREATE INDEX ix_token_by_rid ON ix_token (rid, pid);
            CREATE INDEX ix_ref_by_rid ON ix_ref (rid, pid);
            CREATE INDEX ix_date_by_rid ON ix_date (rid, pid);
            CREATE INDEX ix_quantity_by_rid ON ix_quantity (rid, pid);
          )sql"},
          {3, R"sql(
            -- Small named values the FHIR service keeps with its data (WriteOp::Kind::PutState):
            -- the $reindex job's state, which custom search parameters are enabled, the string
            -- normalization the index was written with.
            CREATE TABLE service_state (
              key   TEXT PRIMARY KEY,
              value TEXT NOT NULL
            ) WITHOUT ROWID;
          )sql"},
          {4, R"sql(
            -- Composite parameters (Observation code-value-quantity, ...): one row per pair of
            -- component values taken from the same element, so a search matches only values that
            -- belong together. c1/s1: the first component (token code and system hash, or a
            -- reference key and 0); c2/s2: the second (token code and system hash, normalized
            -- string, or quantity unit and system hash); low/high: the second's range, integers
            -- (dates, microseconds) or reals (numbers, quantities), 0 otherwise. Stores upgraded
            -- from schema 2 or 3 get these rows from $reindex (or each resource's next write).
            CREATE TABLE ix_composite (
              pid INTEGER NOT NULL, c1 TEXT NOT NULL, s1 INTEGER NOT NULL, c2 TEXT NOT NULL,
              s2 INTEGER NOT NULL, low NOT NULL, high NOT NULL, rid INTEGER NOT NULL,
              PRIMARY KEY (pid, c1, s1, c2, s2, low, high, rid)
            ) WITHOUT ROWID;
            CREATE INDEX ix_composite_by_rid ON ix_composite (rid, pid);
          )sql"},
          {5, R"sql(
            -- A resource's index keys are read back from the ix_* tables by rid when a new
            -- version replaces them; the copy kept in each resource row (~560 bytes) goes.
            ALTER TABLE resource DROP COLUMN index_keys;
          )sql"},
      },
  };
  return schema;
}

const Schema& dicom_store_schema() {
  static const Schema schema{
      "healthd DICOM store",
      0x6844434D,  // "hDCM"
      {
          {1, R"sql(
            -- One row per study; its attributes are those of the last instance stored in it.
            CREATE TABLE study (
              study_key                INTEGER PRIMARY KEY,
              study_uid                TEXT NOT NULL UNIQUE,
              patient_name             TEXT,
              patient_id               TEXT,
              patient_birth_date       TEXT,
              patient_sex              TEXT,
              accession_number         TEXT,
              referring_physician_name TEXT,
              study_date               TEXT,
              study_time               TEXT,
              study_description        TEXT,
              study_id                 TEXT
            );
            CREATE INDEX study_by_patient_id ON study (patient_id);
            CREATE TABLE series (
              series_key              INTEGER PRIMARY KEY,
              study_key               INTEGER NOT NULL REFERENCES study (study_key),
              series_uid              TEXT NOT NULL,
              modality                TEXT,
              series_date             TEXT,
              series_time             TEXT,
              series_description      TEXT,
              series_number           TEXT,
              pps_start_date          TEXT,
              manufacturer_model_name TEXT,
              UNIQUE (study_key, series_uid)
            );
            CREATE INDEX series_by_uid ON series (series_uid);
            CREATE TABLE instance (
              instance_key        INTEGER PRIMARY KEY,
              series_key          INTEGER NOT NULL REFERENCES series (series_key),
              study_key           INTEGER NOT NULL REFERENCES study (study_key),
              sop_uid             TEXT NOT NULL,
              sop_class_uid       TEXT,
              instance_number     TEXT,
              number_of_frames    TEXT,
              rows                TEXT,
              columns             TEXT,
              bits_allocated      TEXT,
              transfer_syntax_uid TEXT NOT NULL,
              file                TEXT NOT NULL,     -- relative to the service directory
              size                INTEGER NOT NULL,
              stored_us           INTEGER NOT NULL,
              compressed          INTEGER NOT NULL,  -- 1: metadata is one zstd frame
              metadata            BLOB NOT NULL,     -- the DICOM JSON stored at ingest
              UNIQUE (series_key, sop_uid)
            );
            CREATE INDEX instance_by_study ON instance (study_key);
            CREATE INDEX instance_by_uid ON instance (sop_uid);
            -- Every create, update and delete; state follows the instance (current, replaced, deleted).
            CREATE TABLE change_feed (
              seq          INTEGER PRIMARY KEY AUTOINCREMENT,
              timestamp_us INTEGER NOT NULL,
              action       INTEGER NOT NULL,  -- 0 create, 1 update, 2 delete
              state        INTEGER NOT NULL,  -- 0 current, 1 replaced, 2 deleted
              study_uid    TEXT NOT NULL,
              series_uid   TEXT NOT NULL,
              sop_uid      TEXT NOT NULL
            );
            CREATE INDEX change_feed_by_sop ON change_feed (sop_uid);
            CREATE INDEX change_feed_by_time ON change_feed (timestamp_us);
          )sql"},
          {2, R"sql(
            -- Extended query tags: attributes indexed for QIDO beyond the standard ones.
            CREATE TABLE extended_query_tag (
              tag_key         INTEGER PRIMARY KEY AUTOINCREMENT,
              tag             INTEGER NOT NULL UNIQUE,  -- group << 16 | element
              vr              TEXT NOT NULL,
              private_creator TEXT NOT NULL,            -- '' for standard tags
              level           INTEGER NOT NULL,         -- 0 study, 1 series, 2 instance
              status          INTEGER NOT NULL,         -- 0 adding, 1 ready, 2 deleting
              query_status    INTEGER NOT NULL,         -- 0 enabled, 1 disabled
              error_count     INTEGER NOT NULL DEFAULT 0,
              operation_id    TEXT NOT NULL             -- the re-index operation that added it
            );
            -- One value per tag and entity of the tag's level (study_key, series_key or instance_key).
            CREATE TABLE extended_query_value (
              tag_key    INTEGER NOT NULL,
              entity_key INTEGER NOT NULL,
              value      TEXT NOT NULL,
              PRIMARY KEY (tag_key, entity_key)
            ) WITHOUT ROWID;
            CREATE INDEX extended_query_value_by_value ON extended_query_value (tag_key, value);
            -- Invalid values the re-indexing met.
            CREATE TABLE extended_query_tag_error (
              error_key  INTEGER PRIMARY KEY,
              tag_key    INTEGER NOT NULL,
              study_uid  TEXT NOT NULL,
              series_uid TEXT NOT NULL,
              sop_uid    TEXT NOT NULL,
              created_us INTEGER NOT NULL,
              message    TEXT NOT NULL
            );
            CREATE INDEX extended_query_tag_error_by_tag ON extended_query_tag_error (tag_key, error_key);
            -- Long-running operations (re-indexing after tags were added).
            CREATE TABLE operation (
              id         TEXT PRIMARY KEY,
              type       TEXT NOT NULL,
              status     INTEGER NOT NULL,  -- 0 not started, 1 running, 2 completed, 3 failed
              percent    INTEGER NOT NULL,
              created_us INTEGER NOT NULL,
              updated_us INTEGER NOT NULL,
              cursor     INTEGER NOT NULL,  -- re-index: the last instance key processed
              error      TEXT NOT NULL
            );
          )sql"},
          {3, R"sql(
            -- QIDO by AccessionNumber (one of the queries every viewer sends) without a scan of
            -- every study.
            CREATE INDEX study_by_accession ON study (accession_number);
          )sql"},
      },
  };
  return schema;
}

}  // namespace healthd::storage
