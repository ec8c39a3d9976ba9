// Extended query tags of the SQLite dicom::Store: the tags, their values per entity of their
// level, the errors re-indexing met, and the re-index operations.
#include <cstdio>

#include "common/time.h"
#include "storage/sqlite_dicom_store_impl.h"

namespace healthd::storage {

namespace {

using dicom::ExtendedQueryTagEntry;
using dicom::Level;
using dicom::Operation;
using dicom::OperationStatus;

// "00101010" (dicom::tag_hex; storage does not link the DICOM library).
std::string tag_path(int64_t tag) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%08X", static_cast<unsigned>(tag));
  return buf;
}

constexpr const char* kTagColumns =
    "tag_key, tag, vr, private_creator, level, status, query_status, error_count, operation_id";

ExtendedQueryTagEntry read_tag(const Statement& s) {
  ExtendedQueryTagEntry t;
  t.key = s.column_int64(0);
  t.tag = static_cast<dicom::Tag>(s.column_int64(1));
  t.path = tag_path(t.tag);
  t.vr = s.column_text(2);
  t.private_creator = s.column_text(3);
  t.level = static_cast<Level>(s.column_int64(4));
  t.status = static_cast<dicom::TagStatus>(s.column_int64(5));
  t.query_status = static_cast<dicom::QueryStatus>(s.column_int64(6));
  t.error_count = s.column_int64(7);
  t.operation_id = s.column_text(8);
  return t;
}

constexpr const char* kOperationColumns = "id, type, status, percent, created_us, updated_us, cursor, error";

Operation read_operation(const Statement& s) {
  Operation o;
  o.id = s.column_text(0);
  o.type = s.column_text(1);
  o.status = static_cast<OperationStatus>(s.column_int64(2));
  o.percent_complete = static_cast<int>(s.column_int64(3));
  o.created_us = s.column_int64(4);
  o.updated_us = s.column_int64(5);
  o.cursor = s.column_int64(6);
  o.error = s.column_text(7);
  return o;
}

}  // namespace

std::vector<ExtendedQueryTagEntry> SqliteDicomStore::extended_query_tags() {
  auto db = reader();
  Statement& s = db->cached(std::string("SELECT ") + kTagColumns + " FROM extended_query_tag ORDER BY tag_key");
  ResetOnExit reset(s);
  std::vector<ExtendedQueryTagEntry> out;
  while (s.step()) out.push_back(read_tag(s));
  return out;
}

dicom::AddTagsResult SqliteDicomStore::add_extended_query_tags(const std::vector<dicom::NewExtendedQueryTag>& tags,
                                                               const Operation& operation, size_t max_tags) {
  dicom::AddTagsResult result;
  std::lock_guard lock(write_mu_);
  Db& db = writer();
  try {
    db.exec("BEGIN IMMEDIATE");
    for (const auto& t : tags) {
      Statement& s = db.cached("SELECT 1 FROM extended_query_tag WHERE tag = ?1");
      ResetOnExit reset(s);
      s.bind(1, t.tag);
      if (s.step()) {
        db.exec("ROLLBACK");
        result.status = dicom::AddTagsResult::Status::Conflict;
        result.message = "The extended query tag " + tag_path(t.tag) + " exists already";
        return result;
      }
    }
    const int64_t count = db.query_int("SELECT count(*) FROM extended_query_tag");
    if (static_cast<size_t>(count) + tags.size() > max_tags) {
      db.exec("ROLLBACK");
      result.status = dicom::AddTagsResult::Status::TooMany;
      result.message = "At most " + std::to_string(max_tags) + " extended query tags can exist; there are " +
                       std::to_string(count) + " and the request adds " + std::to_string(tags.size());
      return result;
    }
    for (const auto& t : tags) {
      Statement& s = db.cached(
          "INSERT INTO extended_query_tag (tag, vr, private_creator, level, status, query_status, operation_id)"
          " VALUES (?1, ?2, ?3, ?4, 0, 0, ?5)");
      ResetOnExit reset(s);
      s.bind(1, t.tag).bind_text(2, t.vr).bind_text(3, t.private_creator).bind(4, static_cast<int64_t>(t.level));
      s.bind_text(5, operation.id);
      s.run();
    }
    {
      Statement& s = db.cached(std::string("INSERT INTO operation (") + kOperationColumns +
                               ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)");
      ResetOnExit reset(s);
      s.bind_text(1, operation.id).bind_text(2, operation.type).bind(3, static_cast<int64_t>(operation.status));
      s.bind(4, operation.percent_complete).bind(5, operation.created_us).bind(6, operation.updated_us);
      s.bind(7, operation.cursor).bind_text(8, operation.error);
      s.run();
    }
    db.exec("COMMIT");
    ++tags_version_;
  } catch (...) {
    if (db.in_transaction()) db.exec("ROLLBACK");
    throw;
  }
  return result;
}

bool SqliteDicomStore::delete_extended_query_tag(int64_t key) {
  std::lock_guard lock(write_mu_);
  Db& db = writer();
  try {
    db.exec("BEGIN IMMEDIATE");
    bool found = false;
    {
      Statement& s = db.cached("DELETE FROM extended_query_tag WHERE tag_key = ?1 RETURNING tag_key");
      ResetOnExit reset(s);
      s.bind(1, key);
      found = s.step();
      s.run();
    }
    for (const char* sql : {"DELETE FROM extended_query_value WHERE tag_key = ?1",
                            "DELETE FROM extended_query_tag_error WHERE tag_key = ?1"}) {
      Statement& s = db.cached(sql);
      ResetOnExit reset(s);
      s.bind(1, key).run();
    }
    db.exec("COMMIT");
    ++tags_version_;
    return found;
  } catch (...) {
    if (db.in_transaction()) db.exec("ROLLBACK");
    throw;
  }
}

bool SqliteDicomStore::set_query_status(int64_t key, dicom::QueryStatus status) {
  std::lock_guard lock(write_mu_);
  Db& db = writer();
  Statement& s = db.cached("UPDATE extended_query_tag SET query_status = ?2 WHERE tag_key = ?1 RETURNING tag_key");
  ResetOnExit reset(s);
  s.bind(1, key).bind(2, static_cast<int64_t>(status));
  const bool found = s.step();
  s.run();
  ++tags_version_;
  return found;
}

std::vector<dicom::ExtendedQueryTagError> SqliteDicomStore::extended_query_tag_errors(int64_t key, int limit,
                                                                                     int offset) {
  auto db = reader();
  Statement& s = db->cached(
      "SELECT study_uid, series_uid, sop_uid, created_us, message FROM extended_query_tag_error"
      " WHERE tag_key = ?1 ORDER BY error_key LIMIT ?2 OFFSET ?3");
  ResetOnExit reset(s);
  s.bind(1, key).bind(2, limit).bind(3, offset);
  std::vector<dicom::ExtendedQueryTagError> out;
  while (s.step())
    out.push_back({std::string(s.column_text(0)), std::string(s.column_text(1)), std::string(s.column_text(2)),
                   s.column_int64(3), std::string(s.column_text(4))});
  return out;
}

std::vector<std::string> SqliteDicomStore::operation_tag_paths(Db& db, const std::string& id) {
  Statement& s = db.cached("SELECT tag FROM extended_query_tag WHERE operation_id = ?1 ORDER BY tag_key");
  ResetOnExit reset(s);
  s.bind_text(1, id);
  std::vector<std::string> out;
  while (s.step()) out.push_back(tag_path(s.column_int64(0)));
  return out;
}

std::optional<Operation> SqliteDicomStore::operation(const std::string& id) {
  auto db = reader();
  std::optional<Operation> out;
  {
    Statement& s = db->cached(std::string("SELECT ") + kOperationColumns + " FROM operation WHERE id = ?1");
    ResetOnExit reset(s);
    s.bind_text(1, id);
    if (s.step()) out = read_operation(s);
  }
  if (out) out->tag_paths = operation_tag_paths(*db, id);
  return out;
}

std::vector<Operation> SqliteDicomStore::unfinished_operations() {
  auto db = reader();
  std::vector<Operation> out;
  {
    Statement& s =
        db->cached(std::string("SELECT ") + kOperationColumns + " FROM operation WHERE status < 2 ORDER BY created_us");
    ResetOnExit reset(s);
    while (s.step()) out.push_back(read_operation(s));
  }
  for (auto& o : out) o.tag_paths = operation_tag_paths(*db, o.id);
  return out;
}

std::vector<dicom::ReindexTarget> SqliteDicomStore::instances_after(int64_t after_key, size_t max_count) {
  auto db = reader();
  Statement& s = db->cached(
      "SELECT i.instance_key, i.series_key, i.study_key, s.study_uid, se.series_uid, i.sop_uid, i.file"
      " FROM instance i JOIN series se ON se.series_key = i.series_key JOIN study s ON s.study_key = i.study_key"
      " WHERE i.instance_key > ?1 ORDER BY i.instance_key LIMIT ?2");
  ResetOnExit reset(s);
  s.bind(1, after_key).bind(2, static_cast<int64_t>(max_count));
  std::vector<dicom::ReindexTarget> out;
  while (s.step())
    out.push_back({s.column_int64(0), s.column_int64(1), s.column_int64(2), std::string(s.column_text(3)),
                   std::string(s.column_text(4)), std::string(s.column_text(5)),
                   (dir_ / std::string(s.column_text(6))).string()});
  return out;
}

void SqliteDicomStore::write_reindex_batch(const dicom::ReindexBatch& batch) {
  std::lock_guard lock(write_mu_);
  Db& db = writer();
  try {
    db.exec("BEGIN IMMEDIATE");
    {
      // Only forward: a step another re-indexer of the same operation wrote already is dropped
      // (a service being replaced runs its old and new re-indexer side by side for a moment).
      Statement& s = db.cached(
          "UPDATE operation SET status = 1, cursor = ?2, updated_us = ?3,"
          " percent = (SELECT CASE WHEN total = 0 THEN 100 ELSE min(99, done * 100 / total) END FROM"
          " (SELECT count(*) AS total, count(*) FILTER (WHERE instance_key <= ?2) AS done FROM instance))"
          " WHERE id = ?1 AND cursor < ?2 RETURNING id");
      ResetOnExit reset(s);
      s.bind_text(1, batch.operation_id).bind(2, batch.cursor).bind(3, now_us());
      const bool advanced = s.step();
      s.run();
      if (!advanced) {
        db.exec("ROLLBACK");
        return;
      }
    }
    for (const auto& v : batch.values) {
      // A tag deleted meanwhile gets no values (its key is never given out again).
      Statement& s = db.cached(
          "INSERT OR REPLACE INTO extended_query_value (tag_key, entity_key, value)"
          " SELECT ?1, ?2, ?3 WHERE EXISTS (SELECT 1 FROM extended_query_tag WHERE tag_key = ?1)");
      ResetOnExit reset(s);
      s.bind(1, v.tag_key).bind(2, v.entity_key).bind_text(3, v.value).run();
    }
    for (const auto& [tag_key, e] : batch.errors) {
      {
        Statement& s = db.cached(
            "INSERT INTO extended_query_tag_error (tag_key, study_uid, series_uid, sop_uid, created_us, message)"
            " SELECT ?1, ?2, ?3, ?4, ?5, ?6 WHERE EXISTS (SELECT 1 FROM extended_query_tag WHERE tag_key = ?1)");
        ResetOnExit reset(s);
        s.bind(1, tag_key).bind_text(2, e.study_uid).bind_text(3, e.series_uid).bind_text(4, e.sop_uid);
        s.bind(5, e.created_us).bind_text(6, e.message).run();
      }
      Statement& s = db.cached(
          "UPDATE extended_query_tag SET error_count = error_count + 1, query_status = 1 WHERE tag_key = ?1");
      ResetOnExit reset(s);
      s.bind(1, tag_key).run();
    }
    db.exec("COMMIT");
    if (!batch.errors.empty()) ++tags_version_;
  } catch (...) {
    if (db.in_transaction()) db.exec("ROLLBACK");
    throw;
  }
}

void SqliteDicomStore::finish_operation(const std::string& id, OperationStatus status, const std::string& error) {
  std::lock_guard lock(write_mu_);
  Db& db = writer();
  try {
    db.exec("BEGIN IMMEDIATE");
    {
      Statement& s = db.cached("UPDATE operation SET status = ?2, percent = ?3, updated_us = ?4, error = ?5 WHERE id = ?1");
      ResetOnExit reset(s);
      s.bind_text(1, id).bind(2, static_cast<int64_t>(status));
      s.bind(3, status == OperationStatus::Completed ? 100 : 0).bind(4, now_us()).bind_text(5, error).run();
    }
    if (status == OperationStatus::Completed) {
      Statement& s = db.cached("UPDATE extended_query_tag SET status = 1 WHERE operation_id = ?1 AND status = 0");
      ResetOnExit reset(s);
      s.bind_text(1, id).run();
    }
    db.exec("COMMIT");
    ++tags_version_;
  } catch (...) {
    if (db.in_transaction()) db.exec("ROLLBACK");
    throw;
  }
}

void SqliteDicomStore::write_extended_values(const dicom::NewInstance& in, const Keys& keys) {
  Db& db = *writer_;
  for (size_t i = 0; i < in.extended_tags.size() && i < in.index.extended.size(); ++i) {
    const auto& tag = in.extended_tags[i];
    const int64_t entity = tag.level == Level::Study ? keys.study : tag.level == Level::Series ? keys.series : keys.instance;
    const auto& value = in.index.extended[i];
    if (value && !value->empty()) {
      Statement& s = db.cached("INSERT OR REPLACE INTO extended_query_value (tag_key, entity_key, value) VALUES (?1, ?2, ?3)");
      ResetOnExit reset(s);
      s.bind(1, tag.key).bind(2, entity).bind_text(3, *value).run();
    } else {
      // Null or empty values are not indexed; a replaced value goes.
      Statement& s = db.cached("DELETE FROM extended_query_value WHERE tag_key = ?1 AND entity_key = ?2");
      ResetOnExit reset(s);
      s.bind(1, tag.key).bind(2, entity).run();
    }
  }
}

void SqliteDicomStore::remove_extended_values(Level level, const std::vector<int64_t>& entity_keys) {
  if (entity_keys.empty()) return;
  Db& db = *writer_;
  Statement& s = db.cached(
      "DELETE FROM extended_query_value WHERE entity_key = ?1"
      " AND tag_key IN (SELECT tag_key FROM extended_query_tag WHERE level = ?2)");
  for (int64_t key : entity_keys) {
    ResetOnExit reset(s);
    s.bind(1, key).bind(2, static_cast<int64_t>(level)).run();
  }
}

}  // namespace healthd::storage
