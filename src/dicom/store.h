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

#include "dicom/extended_query_tags.h"
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
  int temp_fd = -1;           // or: an unnamed upload (open_unnamed_upload()), linked into place; the caller closes it
  int64_t size = 0;
  // The extended query tags index.extended holds values of (same order), as of tags_version.
  std::vector<ExtendedQueryTagEntry> extended_tags;
  int64_t tags_version = 0;
};

struct PutResult {
  // StaleTags: the extended query tags changed since the instance was indexed; the temp file is
  // kept so the caller can index it again and retry.
  enum class Status { Created, Replaced, Exists, Error, StaleTags };
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
  std::optional<std::string> accession_number;                 // exact
  // Extended query tags whose values the rows carry (IndexAttributes::extended, same order); only
  // tags of the scan's level or above.
  std::vector<ExtendedQueryTagEntry> extended;
  // Exact values of extended query tags the rows must have (indexes into `extended`, value).
  std::vector<std::pair<size_t, std::string>> extended_equals;
};

// One value found by re-indexing, for the entity of its tag's level.
struct ReindexValue {
  int64_t tag_key = 0;
  Level level = Level::Study;
  int64_t entity_key = 0;  // study_key, series_key or instance_key
  std::string value;
};

// An instance to re-index.
struct ReindexTarget {
  int64_t instance_key = 0, series_key = 0, study_key = 0;
  std::string study_uid, series_uid, sop_uid;
  std::string path;  // the stored file
};

// What one re-index step found: values, invalid values, and where the operation got to.
struct ReindexBatch {
  std::string operation_id;
  int64_t cursor = 0;  // the last instance key processed
  std::vector<ReindexValue> values;
  std::vector<std::pair<int64_t, ExtendedQueryTagError>> errors;  // tag key, error
};

struct AddTagsResult {
  enum class Status { Added, Conflict, TooMany };
  Status status = Status::Added;
  std::string message;  // for Conflict / TooMany
};

// Called per candidate row in a stable order; returning false stops the scan.
using RowSink = std::function<bool(const IndexRow&)>;

class Store {
 public:
  virtual ~Store() = default;

  // Directory where uploads are written before put(); same file system as the stored files.
  virtual std::string temp_dir() const = 0;
  // A new unnamed file in temp_dir() (O_TMPFILE) for an upload, to put() as NewInstance::temp_fd:
  // one directory entry fewer to make and remove than a named temp file, and nothing to clean up
  // when it is refused or the process dies. -1 where the file system cannot (use temp_file).
  virtual int open_unnamed_upload() const = 0;

  // Commits instances in one transaction, together with those of concurrent calls (group commit
  // across requests): per instance, moves temp_file into place and writes the index rows, the
  // metadata, extended query tag values and a change feed entry (create, or update when overwrite replaced an existing instance). One result per
  // instance, in order; an instance that fails does not fail the others. Durable like the
  // store's index (see the implementation's synchronous setting). On Exists and Error the
  // temp file is removed (a temp_fd is left to its caller); on StaleTags (every instance of the
  // call) it is kept.
  // announced: the caller announced this put (announce_put), which it now makes.
  virtual std::vector<PutResult> put(const std::vector<NewInstance>& instances, bool overwrite,
                                     bool announced = false) = 0;
  // A STOW request announces the put() it will make once its parts are read; the put (with
  // announced = true) takes the announcement back, or withdraw_put() when the request gives up.
  // A commit starting while puts are announced may wait briefly for them to share its
  // transaction (one commit instead of several).
  virtual void announce_put() {}
  virtual void withdraw_put() {}

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

  // --- Extended query tags and their operations
  // Every tag, in the order added.
  virtual std::vector<ExtendedQueryTagEntry> extended_query_tags() = 0;
  // Changes with every change of the tags (add, delete, status, query status, errors).
  virtual int64_t tags_version() = 0;
  // Adds the tags (status Adding) and their re-index operation in one transaction; Conflict when
  // one exists already, TooMany when the service would hold more than max_tags.
  virtual AddTagsResult add_extended_query_tags(const std::vector<NewExtendedQueryTag>& tags,
                                                const Operation& operation, size_t max_tags) = 0;
  // Removes the tag with its values and errors; false when there is none.
  virtual bool delete_extended_query_tag(int64_t key) = 0;
  virtual bool set_query_status(int64_t key, QueryStatus status) = 0;
  virtual std::vector<ExtendedQueryTagError> extended_query_tag_errors(int64_t key, int limit, int offset) = 0;

  virtual std::optional<Operation> operation(const std::string& id) = 0;
  // Operations not completed nor failed (to resume after a restart).
  virtual std::vector<Operation> unfinished_operations() = 0;
  // Instances with a key above after_key, in key order.
  virtual std::vector<ReindexTarget> instances_after(int64_t after_key, size_t max_count) = 0;
  // Writes a step of a re-index operation: values (tags deleted meanwhile are skipped), errors
  // (the tag's error count grows and its QueryStatus becomes Disabled), the cursor and the
  // percentage done; the operation becomes running. A batch whose cursor is not past the stored
  // one is dropped (written already).
  virtual void write_reindex_batch(const ReindexBatch& batch) = 0;
  // Ends an operation: Completed makes its tags Ready; Failed records why.
  virtual void finish_operation(const std::string& id, OperationStatus status, const std::string& error) = 0;

  // Finishes pending work and closes; later calls fail or return nothing.
  virtual void close() = 0;
};

}  // namespace healthd::dicom
