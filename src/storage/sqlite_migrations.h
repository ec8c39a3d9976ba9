// Versioned schema migrations: steps applied in order, the reached version kept in
// PRAGMA user_version, the database's owner marked in PRAGMA application_id.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "storage/sqlite_db.h"

namespace healthd::storage {

struct Migration {
  int version;      // 1, 2, 3 ... the schema version after this step
  std::string sql;  // one or more statements
};

struct Schema {
  std::string name;        // used in messages: "healthd FHIR store"
  int32_t application_id;  // PRAGMA application_id written into the file
  std::vector<Migration> migrations;  // ascending, contiguous from 1
  int latest() const { return migrations.empty() ? 0 : migrations.back().version; }
};

// Brings `db` (opened read-write) to schema.latest(), each step in its own transaction.
// Throws std::runtime_error when the file belongs to something else or is at a newer version
// than this program knows. Returns the version found before migrating.
int migrate(Db& db, const Schema& schema);

// The schema of the SQLite fhir::Store.
const Schema& fhir_store_schema();

// The schema of the SQLite dicom::Store (one database per DICOM service).
const Schema& dicom_store_schema();

}  // namespace healthd::storage
