// Internal to src/storage: the SQLite dicom::Store class, shared by sqlite_dicom_store.cpp
// (instances, QIDO scans, change feed) and sqlite_dicom_tags.cpp (extended query tags and their
// operations).
#pragma once

#include <atomic>
#include <condition_variable>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "dicom/store.h"
#include "storage/sqlite_db.h"
#include "storage/sqlite_dicom_known_rows.h"
#include "storage/sqlite_dicom_store.h"
#include "storage/sqlite_reader_pool.h"

namespace healthd::storage {

class SqliteDicomStore final : public dicom::Store {
 public:
  explicit SqliteDicomStore(const SqliteDicomStoreOptions& options);
  ~SqliteDicomStore() override { close(); }

  std::string temp_dir() const override { return tmp_dir_; }
  int open_unnamed_upload() const override;
  std::vector<dicom::PutResult> put(const std::vector<dicom::NewInstance>& instances, bool overwrite,
                                    bool announced) override;
  void announce_put() override;
  void withdraw_put() override;
  std::vector<dicom::StoredFile> files(const dicom::InstanceScope& scope) override;
  std::vector<Metadata> metadata(const dicom::InstanceScope& scope, size_t max_count) override;
  size_t remove(const dicom::InstanceScope& scope) override;
  void scan(const dicom::ScanRequest& request, const dicom::RowSink& sink) override;
  std::vector<dicom::ChangeEntry> changes(const dicom::ChangeQuery& query) override;
  std::optional<dicom::ChangeEntry> latest_change() override;
  void close() override;

  std::vector<dicom::ExtendedQueryTagEntry> extended_query_tags() override;
  int64_t tags_version() override { return tags_version_.load(); }
  dicom::AddTagsResult add_extended_query_tags(const std::vector<dicom::NewExtendedQueryTag>& tags,
                                               const dicom::Operation& operation, size_t max_tags) override;
  bool delete_extended_query_tag(int64_t key) override;
  bool set_query_status(int64_t key, dicom::QueryStatus status) override;
  std::vector<dicom::ExtendedQueryTagError> extended_query_tag_errors(int64_t key, int limit, int offset) override;
  std::optional<dicom::Operation> operation(const std::string& id) override;
  std::vector<dicom::Operation> unfinished_operations() override;
  std::vector<dicom::ReindexTarget> instances_after(int64_t after_key, size_t max_count) override;
  void write_reindex_batch(const dicom::ReindexBatch& batch) override;
  void finish_operation(const std::string& id, dicom::OperationStatus status, const std::string& error) override;

 private:
  struct Keys {
    int64_t study = 0, series = 0, instance = 0;
  };
  // One put() call waiting to be committed; lives on its caller's stack.
  struct PendingPut {
    const std::vector<dicom::NewInstance>* instances;
    bool overwrite = false;
    std::vector<std::optional<std::string>> metadata;  // zstd-compressed DICOM JSON, when compressed
    std::vector<dicom::PutResult> results;
    bool done = false;  // under queue_mu_: results are final
  };
  static void drop_temp(const dicom::NewInstance& instance);
  // Moves (temp_file) or links (temp_fd) an upload to its place, replacing a file there; errno when not.
  int place_upload(const dicom::NewInstance& instance, const std::string& target) const;
  // Commits the queued puts of any number of callers in one transaction (write_mu_ held).
  void commit_batch(const std::vector<PendingPut*>& batch);
  void configure(Db& db, bool writer) const;
  ReaderPool::Lease reader();
  // The writer connection under write_mu_ (held by the caller); throws when closed.
  Db& writer();
  std::string decode_metadata(const Statement& s, int blob_col, int compressed_col) const;
  void add_change(dicom::ChangeAction action, dicom::ChangeState state, const std::string& study,
                  const std::string& series, const std::string& sop);
  // One instance of a put, inside its transaction.
  dicom::PutResult put_one(const dicom::NewInstance& instance, const std::optional<std::string>& compressed,
                           bool overwrite);
  Keys upsert_rows(const dicom::NewInstance& instance, const std::optional<std::string>& compressed,
                   const std::string& file);
  void write_extended_values(const dicom::NewInstance& instance, const Keys& keys);
  // Values of extended query tags of the levels whose rows a delete removed.
  void remove_extended_values(dicom::Level level, const std::vector<int64_t>& entity_keys);
  std::vector<std::string> operation_tag_paths(Db& db, const std::string& id);

  const SqliteDicomStoreOptions options_;
  const std::filesystem::path dir_;
  const std::string root_;     // dir_ + "/": stored files are root_ + their relative path
  const std::string tmp_dir_;  // dir_ + "/tmp"
  std::mutex write_mu_;
  std::mutex queue_mu_;               // guards queue_ and PendingPut::done
  std::vector<PendingPut*> queue_;    // puts waiting for the writer
  std::condition_variable queue_cv_;  // a put queued or an announcement withdrawn
  std::atomic<int> announced_{0};     // puts announced and not yet made (announce_put)
  std::unique_ptr<Db> writer_;
  std::unique_ptr<ReaderPool> readers_;
  std::atomic<bool> closed_{false};
  bool unnamed_uploads_ = false;  // the file system links O_TMPFILE files (probed when opened)
  std::atomic<int64_t> tags_version_{1};
  std::set<std::string> dirs_to_sync_;  // folders a put renamed files into (under write_mu_)
  KnownDicomRows known_rows_;           // under write_mu_
};

}  // namespace healthd::storage
