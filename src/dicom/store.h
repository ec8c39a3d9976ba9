// dicom::Store: what the DICOM service needs from storage, as plain types (no SQLite, no DCMTK).
// The index (study / series / instance rows with the QIDO attributes, the DICOM JSON of each
// instance, the change feed) and the instance files live behind it; the SQLite implementation is
// src/storage/sqlite_dicom_store.h.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "dicom/index.h"

namespace healthd::dicom {

// Which part of the hierarchy a request names: a study, a series of it, or one instance.
// Empty series / sop mean "all of the level above".
struct InstanceScope {
  std::string study_uid;
  std::string series_uid;
  std::string sop_uid;
};

// One stored instance, for retrieval.
struct StoredFile {
  std::string study_uid, series_uid, sop_uid, sop_class_uid, transfer_syntax_uid;
  std::string path;  // absolute path of the stored Part 10 file
  int64_t size = 0;
};

// An instance that passed the STOW checks, ready to be committed.
struct NewInstance {
  IndexAttributes index;      // study/series/sop UIDs must be set
  std::string metadata_json;  // DICOM JSON, BulkDataURIs relative (see service: kBulkPlaceholder)
  std::string temp_file;      // the upload (preamble zeroed), inside temp_dir(); moved into place
  int64_t size = 0;
};

struct PutResult {
  enum class Status { Created, Replaced, Exists, Error };
  Status status = Status::Error;
  std::string message;  // for Error
};

enum class ChangeAction { Create, Update, Delete };
enum class ChangeState { Current, Replaced, Deleted };

struct ChangeEntry {
  int64_t sequence = 0;
  int64_t timestamp_us = 0;
  ChangeAction action = ChangeAction::Create;
  ChangeState state = ChangeState::Current;
  std::string study_uid, series_uid, sop_uid;
  std::optional<std::string> metadata_json;  // the instance's JSON, when asked for and current
};

struct ChangeQuery {
  int64_t after_sequence = 0;       // v1: entries with a larger sequence
  std::optional<int64_t> start_us;  // v2: timestamp >= start
  std::optional<int64_t> end_us;    // v2: timestamp < end
  int64_t offset = 0;               // v2: entries skipped (after the time filter)
  int limit = 10;
  bool include_metadata = false;
};

enum class Level { Study, Series, Instance };

// A candidate row of a QIDO search: the index attributes of its study (and series, instance),
// with the computed attributes of its level.
struct IndexRow {
  IndexAttributes attributes;
  std::vector<std::string> modalities_in_study;  // study level
  int64_t study_series = 0;                      // NumberOfStudyRelatedSeries
  int64_t study_instances = 0;                   // NumberOfStudyRelatedInstances
  int64_t series_instances = 0;                  // NumberOfSeriesRelatedInstances
};

// What the store narrows in SQL before the service matches every condition itself: the scope of
// the URL and, per UID level, a list of UIDs (a superset of the rows that match).
struct ScanRequest {
  Level level = Level::Study;
  std::string study_uid;   // from the path, or ""
  std::string series_uid;  // from the path, or ""
  std::vector<std::string> study_uids, series_uids, sop_uids;  // any of; empty: no restriction
  std::optional<std::string> patient_id;                       // exact
};

// Called per candidate row in a stable order; returning false stops the scan.
using RowSink = std::function<bool(const IndexRow&)>;

class Store {
 public:
  virtual ~Store() = default;

  // Directory where uploads are written before put(); same file system as the stored files.
  virtual std::string temp_dir() const = 0;

  // Moves instance.temp_file into place and commits the index rows, the metadata and a change
  // feed entry (create, or update when overwrite replaced an existing instance). On Exists and
  // Error the temp file is removed.
  virtual PutResult put(const NewInstance& instance, bool overwrite) = 0;

  // The stored files of a scope, ordered by series then instance number. Empty: nothing stored.
  virtual std::vector<StoredFile> files(const InstanceScope& scope) = 0;
  // The DICOM JSON of every instance of a scope, with its UIDs (for BulkDataURI rewriting).
  struct Metadata {
    std::string study_uid, series_uid, sop_uid, json;
  };
  virtual std::vector<Metadata> metadata(const InstanceScope& scope, size_t max_count = 0) = 0;

  // Removes the scope's instances (index, files) and records a delete per instance. Returns the
  // number of instances removed.
  virtual size_t remove(const InstanceScope& scope) = 0;

  virtual void scan(const ScanRequest& request, const RowSink& sink) = 0;

  virtual std::vector<ChangeEntry> changes(const ChangeQuery& query) = 0;
  virtual std::optional<ChangeEntry> latest_change() = 0;

  // Finishes pending work and closes; later calls fail or return nothing.
  virtual void close() = 0;
};

}  // namespace healthd::dicom
