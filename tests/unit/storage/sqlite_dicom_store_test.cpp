// The SQLite dicom::Store: a request's instances in one put (group commit, duplicates within and
// across calls, stale extended query tags, folders made again after a delete), and extended query tags: add (conflict, limit),
// re-index steps (values, errors disabling the tag), completion, QIDO columns, delete; study and
// series rows written again only when their attributes change; unnamed uploads linked into place;
// a commit waiting for puts that other requests announced; scans narrowed by PatientID and
// AccessionNumber.
#include <gtest/gtest.h>

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <iterator>
#include <thread>

#include "storage/sqlite_dicom_store.h"
#include "storage_test_util.h"

namespace healthd::storage {
namespace {

using dicom::Level;
using dicom::PutResult;

class SqliteDicomStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    SqliteDicomStoreOptions o;
    o.dir = dir_.file("svc");
    store_ = open_sqlite_dicom_store(o);
  }

  // An instance whose "file" is a few bytes in the store's upload folder.
  dicom::NewInstance instance(const std::string& study, const std::string& series, const std::string& sop) {
    dicom::NewInstance in;
    in.index.study_instance_uid = study;
    in.index.series_instance_uid = series;
    in.index.sop_instance_uid = sop;
    in.index.transfer_syntax_uid = "1.2.840.10008.1.2.1";
    in.metadata_json = "{}";
    in.temp_file = store_->temp_dir() + "/" + sop + "-" + std::to_string(++uploads_) + ".part";
    std::ofstream(in.temp_file) << "DICM";
    in.size = 4;
    in.tags_version = store_->tags_version();
    return in;
  }

  std::vector<dicom::IndexRow> scan(const dicom::ScanRequest& r) {
    std::vector<dicom::IndexRow> rows;
    store_->scan(r, [&](const dicom::IndexRow& row) {
      rows.push_back(row);
      return true;
    });
    return rows;
  }

  testing::TempDir dir_;
  std::shared_ptr<dicom::Store> store_;
  int uploads_ = 0;
};

TEST_F(SqliteDicomStoreTest, OnePutCommitsARequestsInstances) {
  auto results = store_->put({instance("1.1", "1.1.1", "1.1.1.1"), instance("1.1", "1.1.1", "1.1.1.2"),
                              instance("1.1", "1.1.1", "1.1.1.1")},
                             false);
  ASSERT_EQ(results.size(), 3u);
  EXPECT_EQ(results[0].status, PutResult::Status::Created);
  EXPECT_EQ(results[1].status, PutResult::Status::Created);
  EXPECT_EQ(results[2].status, PutResult::Status::Exists);  // the repeat within the batch
  EXPECT_EQ(store_->files({"1.1", "", ""}).size(), 2u);
  EXPECT_EQ(std::filesystem::directory_iterator(store_->temp_dir()), std::filesystem::directory_iterator());

  // Indexed with an older tag list: refused as a whole, files kept for another try.
  auto stale = instance("1.2", "1.2.1", "1.2.1.1");
  stale.tags_version -= 1;
  auto refused = store_->put({stale}, false);
  EXPECT_EQ(refused[0].status, PutResult::Status::StaleTags);
  EXPECT_TRUE(std::filesystem::exists(stale.temp_file));
}

// The folders of a study are made on its first put and again after a delete removed them.
TEST_F(SqliteDicomStoreTest, FoldersAreMadeAgainAfterADelete) {
  ASSERT_EQ(store_->put({instance("2.1", "2.1.1", "2.1.1.1")}, false)[0].status, PutResult::Status::Created);
  const auto first = store_->files({"2.1", "", ""});
  ASSERT_EQ(first.size(), 1u);
  const std::filesystem::path study_folder = std::filesystem::path(first[0].path).parent_path().parent_path();
  EXPECT_EQ(store_->remove({"2.1", "", ""}), 1u);
  EXPECT_FALSE(std::filesystem::exists(study_folder));

  ASSERT_EQ(store_->put({instance("2.1", "2.1.1", "2.1.1.1")}, false)[0].status, PutResult::Status::Created);
  const auto again = store_->files({"2.1", "", ""});
  ASSERT_EQ(again.size(), 1u);
  EXPECT_TRUE(std::filesystem::exists(again[0].path));
}

// Concurrent puts share transactions (group commit across requests); each caller still gets
// its own results: every instance stored once, the same SOP from two callers once.
// Study and series rows are written again only when an instance brings other attributes; the
// writer's memory of them goes with a failed instance's rows and with a delete.
// Exact PatientID and AccessionNumber narrow a scan in SQL (both indexed), at every level.
TEST_F(SqliteDicomStoreTest, PatientIdAndAccessionNumberNarrowAScan) {
  auto study = [&](const std::string& uid, const std::string& patient, const std::string& accession) {
    auto in = instance(uid, uid + ".1", uid + ".1.1");
    in.index.patient_id = patient;
    in.index.accession_number = accession;
    return in;
  };
  ASSERT_EQ(store_->put({study("7.1", "P1", "A1"), study("7.2", "P1", "A2"), study("7.3", "P2", "A3")}, false)[2].status,
            PutResult::Status::Created);
  for (Level level : {Level::Study, Level::Series, Level::Instance}) {
    dicom::ScanRequest r;
    r.level = level;
    r.accession_number = "A2";
    auto rows = scan(r);
    ASSERT_EQ(rows.size(), 1u);
    EXPECT_EQ(rows[0].attributes.study_instance_uid, "7.2");
    r.patient_id = "P1";
    EXPECT_EQ(scan(r).size(), 1u);
    r.accession_number = "A3";
    EXPECT_TRUE(scan(r).empty());
    r.accession_number.reset();
    EXPECT_EQ(scan(r).size(), 2u);
  }
}

TEST_F(SqliteDicomStoreTest, StudyAndSeriesRowsFollowTheirInstances) {
  auto named = [&](const std::string& sop, const std::string& patient, const std::string& modality) {
    auto in = instance("4.1", "4.1.1", sop);
    in.index.patient_name = patient;
    in.index.modality = modality;
    return in;
  };
  auto study_rows = [&] {
    dicom::ScanRequest r;
    r.study_uid = "4.1";
    return scan(r);
  };
  // A failing first instance (its upload is gone): the study and series rows it wrote go with it.
  auto lost = named("4.1.1.1", "A", "CT");
  std::filesystem::remove(lost.temp_file);
  ASSERT_EQ(store_->put({lost}, false)[0].status, PutResult::Status::Error);
  EXPECT_TRUE(study_rows().empty());

  ASSERT_EQ(store_->put({named("4.1.1.2", "A", "CT")}, false)[0].status, PutResult::Status::Created);
  ASSERT_EQ(store_->put({named("4.1.1.3", "A", "CT")}, false)[0].status, PutResult::Status::Created);
  auto rows = study_rows();
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].attributes.patient_name, "A");
  EXPECT_EQ(rows[0].study_instances, 2);

  // The last instance's attributes win, at both levels.
  ASSERT_EQ(store_->put({named("4.1.1.4", "B", "MR")}, false)[0].status, PutResult::Status::Created);
  rows = study_rows();
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].attributes.patient_name, "B");
  EXPECT_EQ(rows[0].modalities_in_study, std::vector<std::string>{"MR"});

  // After a delete, the same study and series are made anew.
  EXPECT_EQ(store_->remove({"4.1", "", ""}), 3u);
  EXPECT_TRUE(study_rows().empty());
  ASSERT_EQ(store_->put({named("4.1.1.5", "B", "MR")}, false)[0].status, PutResult::Status::Created);
  rows = study_rows();
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].study_instances, 1);
  EXPECT_EQ(store_->files({"4.1", "4.1.1", "4.1.1.5"}).size(), 1u);
}

// An unnamed upload (O_TMPFILE) is linked into place: new, replacing a stored file, or refused
// as a repeat; nothing is left in the upload folder.
TEST_F(SqliteDicomStoreTest, UnnamedUploadsAreLinkedIntoPlace) {
  auto unnamed = [&](const std::string& sop, const std::string& bytes) {
    auto in = instance("5.1", "5.1.1", sop);
    std::filesystem::remove(in.temp_file);
    in.temp_file.clear();
    in.temp_fd = store_->open_unnamed_upload();
    EXPECT_GE(in.temp_fd, 0);  // the test's temp folder is on a file system that has them
    EXPECT_EQ(::write(in.temp_fd, bytes.data(), bytes.size()), static_cast<ssize_t>(bytes.size()));
    return in;
  };
  auto content = [&](const std::string& sop) {
    auto files = store_->files({"5.1", "5.1.1", sop});
    if (files.size() != 1) return std::string("(not stored)");
    std::ifstream in(files[0].path);
    return std::string(std::istreambuf_iterator<char>(in), {});
  };
  auto first = unnamed("5.1.1.1", "first");
  EXPECT_EQ(store_->put({first}, false)[0].status, PutResult::Status::Created);
  EXPECT_EQ(content("5.1.1.1"), "first");
  auto repeat = unnamed("5.1.1.1", "repeat");
  EXPECT_EQ(store_->put({repeat}, false)[0].status, PutResult::Status::Exists);
  EXPECT_EQ(content("5.1.1.1"), "first");
  auto second = unnamed("5.1.1.1", "second");
  EXPECT_EQ(store_->put({second}, true)[0].status, PutResult::Status::Replaced);
  EXPECT_EQ(content("5.1.1.1"), "second");
  for (int fd : {first.temp_fd, repeat.temp_fd, second.temp_fd}) ::close(fd);
  EXPECT_EQ(std::filesystem::directory_iterator(store_->temp_dir()), std::filesystem::directory_iterator());
}

TEST_F(SqliteDicomStoreTest, ConcurrentPutsEachGetTheirResults) {
  constexpr int kThreads = 8, kPuts = 25;
  std::vector<std::vector<std::vector<dicom::NewInstance>>> work(kThreads);
  for (int t = 0; t < kThreads; ++t)
    for (int i = 0; i < kPuts; ++i) {
      const std::string sop = "3.1.1." + std::to_string(t) + "." + std::to_string(i);
      // Every thread also stores the shared "3.1.1.0.0": one of them creates it.
      work[t].push_back({instance("3.1", "3.1.1", sop), instance("3.1", "3.1.1", "3.1.1.0.0")});
    }
  std::vector<std::vector<PutResult>> results(kThreads);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([&, t] {
      for (auto& batch : work[t]) {
        auto r = store_->put(batch, false);
        results[t].insert(results[t].end(), r.begin(), r.end());
      }
    });
  for (auto& th : threads) th.join();
  int created = 0, exists = 0;
  for (const auto& r : results) {
    ASSERT_EQ(r.size(), 2u * kPuts);
    for (const auto& one : r) {
      created += one.status == PutResult::Status::Created;
      exists += one.status == PutResult::Status::Exists;
    }
  }
  // kThreads * kPuts distinct instances (thread 0's first is the shared one) plus none else.
  EXPECT_EQ(created, kThreads * kPuts);
  EXPECT_EQ(exists, kThreads * kPuts);
  EXPECT_EQ(store_->files({"3.1", "", ""}).size(), static_cast<size_t>(kThreads * kPuts));
  EXPECT_EQ(std::filesystem::directory_iterator(store_->temp_dir()), std::filesystem::directory_iterator());
}

// Group commit with announcements: a commit waits for a put announced by another request (up
// to commit_delay_us) and takes it along; with nothing announced, or once the announcement is
// withdrawn, it does not wait.
TEST_F(SqliteDicomStoreTest, ACommitWaitsForAnnouncedPutsOnly) {
  SqliteDicomStoreOptions o;
  o.dir = dir_.file("svc-delay");
  o.commit_delay_us = 60 * 1000 * 1000;  // a minute: only the announcement can end the wait
  store_ = open_sqlite_dicom_store(o);
  using Clock = std::chrono::steady_clock;

  // Nothing announced: no wait.
  auto t0 = Clock::now();
  ASSERT_EQ(store_->put({instance("6.1", "6.1.1", "6.1.1.1")}, false)[0].status, PutResult::Status::Created);
  EXPECT_LT(Clock::now() - t0, std::chrono::seconds(5));

  // Another request announces its put: this commit waits until that put arrives.
  store_->announce_put();
  std::atomic<bool> first_done{false};
  std::vector<PutResult> first;
  std::thread a([&] {
    first = store_->put({instance("6.1", "6.1.1", "6.1.1.2")}, false);
    first_done = true;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  EXPECT_FALSE(first_done.load());  // still waiting for the announced put
  auto second = store_->put({instance("6.1", "6.1.1", "6.1.1.3")}, false, true);
  a.join();
  ASSERT_EQ(first.size(), 1u);
  EXPECT_EQ(first[0].status, PutResult::Status::Created);
  EXPECT_EQ(second[0].status, PutResult::Status::Created);

  // An announcement withdrawn (the request gave up) ends the wait too.
  store_->announce_put();
  std::thread b([&] { first = store_->put({instance("6.1", "6.1.1", "6.1.1.4")}, false); });
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  store_->withdraw_put();
  b.join();
  EXPECT_EQ(first[0].status, PutResult::Status::Created);
  EXPECT_EQ(store_->files({"6.1", "", ""}).size(), 4u);
}

TEST_F(SqliteDicomStoreTest, ExtendedQueryTagsFromAddToSearch) {
  ASSERT_EQ(store_->put({instance("2.1", "2.1.1", "2.1.1.1"), instance("2.2", "2.2.1", "2.2.1.1")}, false)[1].status,
            PutResult::Status::Created);
  dicom::Operation op;
  op.id = "0123456789abcdef0123456789abcdef";
  const int64_t version = store_->tags_version();
  std::vector<dicom::NewExtendedQueryTag> tags = {{0x00101010, "AS", "", Level::Study},
                                                  {0x00080070, "LO", "", Level::Series}};
  ASSERT_EQ(store_->add_extended_query_tags(tags, op, 128).status, dicom::AddTagsResult::Status::Added);
  EXPECT_NE(store_->tags_version(), version);
  op.id = "ffffffffffffffffffffffffffffffff";
  EXPECT_EQ(store_->add_extended_query_tags({tags[1]}, op, 128).status, dicom::AddTagsResult::Status::Conflict);
  EXPECT_EQ(store_->add_extended_query_tags({{0x00081010, "SH", "", Level::Series}}, op, 2).status,
            dicom::AddTagsResult::Status::TooMany);

  auto all = store_->extended_query_tags();
  ASSERT_EQ(all.size(), 2u);
  EXPECT_EQ(all[0].path, "00101010");
  EXPECT_EQ(all[0].status, dicom::TagStatus::Adding);
  EXPECT_EQ(all[0].operation_id, "0123456789abcdef0123456789abcdef");
  ASSERT_EQ(store_->unfinished_operations().size(), 1u);
  EXPECT_EQ(store_->unfinished_operations()[0].tag_paths, (std::vector<std::string>{"00101010", "00080070"}));

  // One re-index step: a value for study 2.1, an error for study 2.2.
  auto targets = store_->instances_after(0, 10);
  ASSERT_EQ(targets.size(), 2u);
  dicom::ReindexBatch batch;
  batch.operation_id = "0123456789abcdef0123456789abcdef";
  batch.cursor = targets[0].instance_key;
  batch.values.push_back({all[0].key, Level::Study, targets[0].study_key, "035Y"});
  batch.values.push_back({all[1].key, Level::Series, targets[0].series_key, "GE"});
  batch.errors.push_back({all[0].key, {"2.2", "2.2.1", "2.2.1.1", 1, "bad age"}});
  store_->write_reindex_batch(batch);
  auto op_now = store_->operation("0123456789abcdef0123456789abcdef");
  ASSERT_TRUE(op_now);
  EXPECT_EQ(op_now->status, dicom::OperationStatus::Running);
  EXPECT_EQ(op_now->percent_complete, 50);
  EXPECT_EQ(op_now->cursor, targets[0].instance_key);
  all = store_->extended_query_tags();
  EXPECT_EQ(all[0].error_count, 1);
  EXPECT_EQ(all[0].query_status, dicom::QueryStatus::Disabled);
  auto errors = store_->extended_query_tag_errors(all[0].key, 10, 0);
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].sop_uid, "2.2.1.1");

  store_->finish_operation("0123456789abcdef0123456789abcdef", dicom::OperationStatus::Completed, "");
  EXPECT_EQ(store_->extended_query_tags()[1].status, dicom::TagStatus::Ready);
  EXPECT_EQ(store_->operation("0123456789abcdef0123456789abcdef")->percent_complete, 100);
  EXPECT_TRUE(store_->unfinished_operations().empty());

  // Values come back as columns; exact values narrow the rows.
  dicom::ScanRequest r;
  r.level = Level::Series;
  r.extended = store_->extended_query_tags();
  auto rows = scan(r);
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0].attributes.extended, (std::vector<std::optional<std::string>>{"035Y", "GE"}));
  EXPECT_EQ(rows[1].attributes.extended, (std::vector<std::optional<std::string>>{std::nullopt, std::nullopt}));
  r.extended_equals = {{1, "GE"}};
  EXPECT_EQ(scan(r).size(), 1u);

  // New instances carry their values; deleting the study removes them.
  auto with_values = instance("2.3", "2.3.1", "2.3.1.1");
  with_values.extended_tags = store_->extended_query_tags();
  with_values.index.extended = {"040Y", "Siemens"};
  with_values.tags_version = store_->tags_version();
  ASSERT_EQ(store_->put({with_values}, false)[0].status, PutResult::Status::Created);
  r.extended_equals = {{1, "Siemens"}};
  EXPECT_EQ(scan(r).size(), 1u);
  EXPECT_EQ(store_->remove({"2.3", "", ""}), 1u);
  EXPECT_EQ(scan(r).size(), 0u);

  // Deleting a tag removes it with its errors.
  EXPECT_TRUE(store_->delete_extended_query_tag(all[0].key));
  EXPECT_FALSE(store_->delete_extended_query_tag(all[0].key));
  EXPECT_TRUE(store_->extended_query_tag_errors(all[0].key, 10, 0).empty());
  EXPECT_EQ(store_->extended_query_tags().size(), 1u);
}

}  // namespace
}  // namespace healthd::storage
