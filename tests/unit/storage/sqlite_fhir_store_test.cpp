#include "storage/sqlite_fhir_store.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>
#include <thread>

#include <unistd.h>

#include "common/metrics.h"
#include "storage/sqlite_db.h"
#include "storage/sqlite_migrations.h"
#include "storage_test_util.h"

namespace healthd::storage {
namespace {

using fhir::CommitResult;
using fhir::StoredVersion;
using namespace testing;

class SqliteFhirStoreTest : public ::testing::Test {
 protected:
  void SetUp() override { store = open_sqlite_fhir_store(options_in(dir)); }

  TempDir dir;
  std::shared_ptr<fhir::Store> store;
};

TEST_F(SqliteFhirStoreTest, CreateThenReadCurrentAndVersion) {
  CommitResult r = store->commit({create("Patient", "p1", 1000, R"({"resourceType":"Patient","id":"p1"})")});
  ASSERT_TRUE(r.ok()) << r.message;
  ASSERT_EQ(r.seqs.size(), 1u);
  EXPECT_GT(r.seqs[0], 0);

  std::optional<StoredVersion> cur = store->current("Patient", "p1");
  ASSERT_TRUE(cur);
  EXPECT_EQ(cur->type, "Patient");
  EXPECT_EQ(cur->id, "p1");
  EXPECT_EQ(cur->version, 1);
  EXPECT_EQ(cur->seq, r.seqs[0]);
  EXPECT_EQ(cur->last_updated_us, 1000);
  EXPECT_EQ(cur->kind, StoredVersion::Kind::Create);
  EXPECT_EQ(cur->json, R"({"resourceType":"Patient","id":"p1"})");

  std::optional<StoredVersion> v1 = store->version("Patient", "p1", 1);
  ASSERT_TRUE(v1);
  EXPECT_EQ(v1->json, cur->json);
  EXPECT_FALSE(store->version("Patient", "p1", 2));
  EXPECT_FALSE(store->current("Patient", "nope"));
  EXPECT_FALSE(store->current("Observation", "p1"));
}

TEST_F(SqliteFhirStoreTest, UpdateMakesNewCurrentAndKeepsOldVersion) {
  ASSERT_TRUE(store->commit({create("Patient", "p1", 1, R"({"v":1})")}).ok());
  CommitResult r = store->commit({update("Patient", "p1", 2, 2, R"({"v":2})")});
  ASSERT_TRUE(r.ok()) << r.message;

  auto cur = store->current("Patient", "p1");
  ASSERT_TRUE(cur);
  EXPECT_EQ(cur->version, 2);
  EXPECT_EQ(cur->kind, StoredVersion::Kind::Update);
  EXPECT_EQ(cur->json, R"({"v":2})");
  EXPECT_EQ(store->version("Patient", "p1", 1)->json, R"({"v":1})");
}

TEST_F(SqliteFhirStoreTest, CreatingTwiceConflicts) {
  ASSERT_TRUE(store->commit({create("Patient", "p1")}).ok());
  CommitResult r = store->commit({create("Patient", "p1")});
  EXPECT_EQ(r.status, CommitResult::Status::Conflict);
  EXPECT_EQ(r.failed_op, 0);
  EXPECT_EQ(r.current_version, 1);
  EXPECT_FALSE(r.message.empty());
  EXPECT_TRUE(r.seqs.empty());
}

TEST_F(SqliteFhirStoreTest, UpdateWithWrongVersionConflictsAndReportsCurrentVersion) {
  ASSERT_TRUE(store->commit({create("Patient", "p1")}).ok());
  ASSERT_TRUE(store->commit({update("Patient", "p1", 2)}).ok());

  CommitResult stale = store->commit({update("Patient", "p1", 2)});
  EXPECT_EQ(stale.status, CommitResult::Status::Conflict);
  EXPECT_EQ(stale.current_version, 2);

  CommitResult ahead = store->commit({update("Patient", "p1", 5)});
  EXPECT_EQ(ahead.status, CommitResult::Status::Conflict);
  EXPECT_EQ(ahead.current_version, 2);

  CommitResult missing = store->commit({update("Patient", "ghost", 2)});
  EXPECT_EQ(missing.status, CommitResult::Status::Conflict);
  EXPECT_EQ(missing.current_version, 0);

  EXPECT_EQ(store->current("Patient", "p1")->version, 2);
  EXPECT_FALSE(store->version("Patient", "p1", 3));
}

TEST_F(SqliteFhirStoreTest, MultiOpCommitIsAtomic) {
  ASSERT_TRUE(store->commit({create("Patient", "exists")}).ok());
  CommitResult r = store->commit({create("Patient", "new"), create("Patient", "exists"), create("Patient", "other")});
  EXPECT_EQ(r.status, CommitResult::Status::Conflict);
  EXPECT_EQ(r.failed_op, 1);
  EXPECT_EQ(r.current_version, 1);
  EXPECT_FALSE(store->current("Patient", "new"));
  EXPECT_FALSE(store->current("Patient", "other"));

  // A later commit still works and its seq is above everything stored before.
  CommitResult ok = store->commit({create("Patient", "new"), update("Patient", "exists", 2)});
  ASSERT_TRUE(ok.ok()) << ok.message;
  ASSERT_EQ(ok.seqs.size(), 2u);
  EXPECT_LT(ok.seqs[0], ok.seqs[1]);
  EXPECT_LT(store->version("Patient", "exists", 1)->seq, ok.seqs[0]);
}

TEST_F(SqliteFhirStoreTest, SeveralVersionsOfOneResourceInOneCommit) {
  CommitResult r = store->commit({create("Patient", "p"), update("Patient", "p", 2), update("Patient", "p", 3)});
  ASSERT_TRUE(r.ok()) << r.message;
  EXPECT_EQ(store->current("Patient", "p")->version, 3);
}

TEST_F(SqliteFhirStoreTest, DeleteWritesAnEmptyDeletedVersion) {
  ASSERT_TRUE(store->commit({create("Patient", "p1", 1, R"({"a":1})")}).ok());
  CommitResult r = store->commit({remove("Patient", "p1", 2, 5)});
  ASSERT_TRUE(r.ok()) << r.message;

  auto cur = store->current("Patient", "p1");
  ASSERT_TRUE(cur);
  EXPECT_TRUE(cur->deleted());
  EXPECT_EQ(cur->version, 2);
  EXPECT_EQ(cur->last_updated_us, 5);
  EXPECT_TRUE(cur->json.empty());
  EXPECT_EQ(store->version("Patient", "p1", 1)->json, R"({"a":1})");

  // Recreating after a delete continues the version sequence.
  ASSERT_TRUE(store->commit({update("Patient", "p1", 3)}).ok());
  EXPECT_FALSE(store->current("Patient", "p1")->deleted());
}

TEST_F(SqliteFhirStoreTest, PurgeRemovesEveryVersion) {
  ASSERT_TRUE(store->commit({create("Patient", "p1"), create("Patient", "keep")}).ok());
  ASSERT_TRUE(store->commit({update("Patient", "p1", 2)}).ok());
  CommitResult r = store->commit({purge("Patient", "p1")});
  ASSERT_TRUE(r.ok()) << r.message;

  EXPECT_FALSE(store->current("Patient", "p1"));
  EXPECT_FALSE(store->version("Patient", "p1", 1));
  EXPECT_FALSE(store->version("Patient", "p1", 2));
  fhir::HistoryQuery q;
  q.type = "Patient";
  q.id = "p1";
  EXPECT_TRUE(store->history(q).entries.empty());
  EXPECT_TRUE(store->current("Patient", "keep"));

  // Purging something absent is fine; the id can be created afresh at version 1.
  EXPECT_TRUE(store->commit({purge("Patient", "never")}).ok());
  EXPECT_TRUE(store->commit({create("Patient", "p1")}).ok());
}

TEST_F(SqliteFhirStoreTest, KeepHistoryFalseLeavesOnlyTheNewVersion) {
  ASSERT_TRUE(store->commit({create("Patient", "p1")}).ok());
  ASSERT_TRUE(store->commit({update("Patient", "p1", 2)}).ok());
  auto op3 = update("Patient", "p1", 3, 0, R"({"v":3})");
  op3.keep_history = false;
  ASSERT_TRUE(store->commit({op3}).ok());

  EXPECT_FALSE(store->version("Patient", "p1", 1));
  EXPECT_FALSE(store->version("Patient", "p1", 2));
  EXPECT_EQ(store->current("Patient", "p1")->json, R"({"v":3})");
  fhir::HistoryQuery q;
  q.type = "Patient";
  q.id = "p1";
  EXPECT_EQ(store->history(q).entries.size(), 1u);

  // The version check still follows the newest version.
  EXPECT_EQ(store->commit({update("Patient", "p1", 3)}).status, CommitResult::Status::Conflict);
  EXPECT_TRUE(store->commit({update("Patient", "p1", 4)}).ok());
}

TEST_F(SqliteFhirStoreTest, InvalidOpsFailWithoutTouchingTheDatabase) {
  EXPECT_EQ(store->commit({create("", "x")}).status, CommitResult::Status::Error);
  EXPECT_EQ(store->commit({create("Patient", "")}).status, CommitResult::Status::Error);
  EXPECT_EQ(store->commit({update("Patient", "x", 0)}).status, CommitResult::Status::Error);
  EXPECT_TRUE(store->commit({}).ok());
}

TEST_F(SqliteFhirStoreTest, LargeBodyIsStoredCompressedAndReadBack) {
  std::string big = R"({"resourceType":"Binary","data":")";
  for (int i = 0; i < 20000; ++i) big += "abcdefgh" + std::to_string(i % 97);
  big += "\"}";
  std::string small = R"({"resourceType":"Patient","id":"small"})";
  ASSERT_TRUE(store->commit({create("Binary", "big", 1, big), create("Patient", "small", 1, small)}).ok());

  EXPECT_EQ(store->current("Binary", "big")->json, big);
  EXPECT_EQ(store->version("Binary", "big", 1)->json, big);
  EXPECT_EQ(store->current("Patient", "small")->json, small);
  store->close();

  Db raw(options_in(dir).path, Db::Mode::ReadOnly);
  EXPECT_EQ(raw.query_int("SELECT compressed FROM resource_version WHERE id = 'big'"), 1);
  int64_t stored = raw.query_int("SELECT length(body) FROM resource_version WHERE id = 'big'");
  EXPECT_GT(stored, 0);
  EXPECT_LT(stored, static_cast<int64_t>(big.size()) / 10);
  EXPECT_EQ(raw.query_int("SELECT compressed FROM resource_version WHERE id = 'small'"), 0);
  EXPECT_EQ(raw.query_text("SELECT body FROM resource_version WHERE id = 'small'"), small);
}

TEST_F(SqliteFhirStoreTest, ConcurrentCommitsAllSucceedWithUniqueSeqs) {
  constexpr int kThreads = 32, kPerThread = 200;
  std::vector<std::vector<int64_t>> seqs(kThreads);
  std::atomic<int> failures{0};
  std::atomic<bool> writers_done{false};
  std::atomic<int> reads{0};

  // Readers run alongside the writers: they must neither block them nor fail.
  std::thread reader([&] {
    while (!writers_done) {
      auto v = store->current("Observation", "t0-0");
      if (v && v->version != 1) failures++;
      reads++;
    }
  });
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        std::string id = "t" + std::to_string(t) + "-" + std::to_string(i);
        CommitResult r = store->commit({create("Observation", id, i)});
        if (!r.ok() || r.seqs.size() != 1) {
          failures++;
          continue;
        }
        seqs[t].push_back(r.seqs[0]);
      }
    });
  }
  for (auto& th : threads) th.join();
  writers_done = true;
  reader.join();

  EXPECT_EQ(failures, 0);
  EXPECT_GT(reads, 0);
  std::set<int64_t> unique;
  for (int t = 0; t < kThreads; ++t) {
    EXPECT_TRUE(std::is_sorted(seqs[t].begin(), seqs[t].end())) << "one thread's commits are ordered";
    unique.insert(seqs[t].begin(), seqs[t].end());
  }
  EXPECT_EQ(unique.size(), static_cast<size_t>(kThreads * kPerThread));
  for (int t = 0; t < kThreads; ++t) {
    for (int i = 0; i < kPerThread; ++i) {
      auto v = store->current("Observation", "t" + std::to_string(t) + "-" + std::to_string(i));
      ASSERT_TRUE(v);
      EXPECT_EQ(v->seq, seqs[t][i]);
    }
  }
  fhir::HistoryQuery all;
  all.with_total = true;
  all.count = 0;
  EXPECT_EQ(store->history(all).total, kThreads * kPerThread);
}

TEST_F(SqliteFhirStoreTest, ConcurrentUpdatesOfOneResourceConflictInsteadOfLosingWrites) {
  ASSERT_TRUE(store->commit({create("Patient", "hot")}).ok());
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 16; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 50; ++i) {
        int64_t v = store->current("Patient", "hot")->version;
        CommitResult r = store->commit({update("Patient", "hot", v + 1)});
        if (r.ok()) {
          ok++;
        } else {
          EXPECT_EQ(r.status, CommitResult::Status::Conflict);
          EXPECT_GE(r.current_version, v + 1);
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(store->current("Patient", "hot")->version, 1 + ok.load());
}

TEST_F(SqliteFhirStoreTest, DataPersistsAcrossReopenAndSeqKeepsIncreasing) {
  CommitResult a = store->commit({create("Patient", "p1", 1, R"({"x":1})"), create("Patient", "gone")});
  ASSERT_TRUE(a.ok());
  CommitResult b = store->commit({purge("Patient", "gone")});  // the newest seq is now unused
  ASSERT_TRUE(b.ok());
  store.reset();  // destructor closes

  store = open_sqlite_fhir_store(options_in(dir));
  auto cur = store->current("Patient", "p1");
  ASSERT_TRUE(cur);
  EXPECT_EQ(cur->json, R"({"x":1})");
  EXPECT_EQ(cur->seq, a.seqs[0]);
  CommitResult c = store->commit({create("Patient", "p2")});
  ASSERT_TRUE(c.ok());
  EXPECT_GT(c.seqs[0], a.seqs[1]) << "seqs of purged versions are not handed out again";
}

TEST_F(SqliteFhirStoreTest, CloseDrainsAndLaterCallsFailCleanly) {
  ASSERT_TRUE(store->commit({create("Patient", "p1")}).ok());
  store->close();
  store->close();  // twice is fine
  CommitResult r = store->commit({create("Patient", "p2")});
  EXPECT_EQ(r.status, CommitResult::Status::Error);
  EXPECT_FALSE(store->current("Patient", "p1"));
  EXPECT_FALSE(store->version("Patient", "p1", 1));
  fhir::HistoryQuery q;
  EXPECT_TRUE(store->history(q).entries.empty());
}

TEST_F(SqliteFhirStoreTest, CloseWaitsForCommitsInFlight) {
  std::atomic<int> ok{0}, error{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 100; ++i) {
        CommitResult r = store->commit({create("Patient", std::to_string(t) + "-" + std::to_string(i))});
        (r.ok() ? ok : error)++;
        EXPECT_NE(r.status, CommitResult::Status::Conflict);
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  store->close();
  for (auto& th : threads) th.join();
  EXPECT_EQ(ok + error, 800);

  // Every acknowledged commit is in the file.
  store = open_sqlite_fhir_store(options_in(dir));
  fhir::HistoryQuery q;
  q.with_total = true;
  EXPECT_EQ(store->history(q).total, ok.load());
}

TEST_F(SqliteFhirStoreTest, SqliteErrorFailsOnlyTheCallerWhoseOpsHitIt) {
  store->close();
  {
    Db raw(options_in(dir).path, Db::Mode::ReadWriteCreate);
    raw.exec(
        "CREATE TRIGGER refuse_boom BEFORE INSERT ON resource_version WHEN NEW.type = 'Boom'"
        " BEGIN SELECT RAISE(ABORT, 'boom refused'); END");
  }
  store = open_sqlite_fhir_store(options_in(dir));
  CommitResult bad = store->commit({create("Patient", "before"), create("Boom", "b")});
  EXPECT_EQ(bad.status, CommitResult::Status::Error);
  EXPECT_NE(bad.message.find("boom refused"), std::string::npos) << bad.message;
  EXPECT_FALSE(store->current("Patient", "before"));

  // Mixed into concurrent batches, good commits still succeed.
  std::atomic<int> good_ok{0}, bad_error{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 50; ++i) {
        std::string id = std::to_string(t) + "-" + std::to_string(i);
        bool boom = i % 5 == 0;
        CommitResult r = store->commit({create(boom ? "Boom" : "Patient", id)});
        if (boom && r.status == CommitResult::Status::Error) bad_error++;
        if (!boom && r.ok()) good_ok++;
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(good_ok, 8 * 40);
  EXPECT_EQ(bad_error, 8 * 10);
}

TEST_F(SqliteFhirStoreTest, PublishesMetrics) {
  store->close();
  store = open_sqlite_fhir_store(options_in(dir, "metrics-test"));
  ASSERT_TRUE(store->commit({create("Patient", "p1")}).ok());
  std::string text = metrics::render_prometheus();
  EXPECT_NE(text.find("healthd_store_commit_seconds_count{store=\"metrics-test\"}"), std::string::npos);
  EXPECT_NE(text.find("healthd_store_commit_batch_size_bucket{store=\"metrics-test\",le=\"1\"}"), std::string::npos);
  EXPECT_NE(text.find("healthd_store_write_queue_depth{store=\"metrics-test\"} 0"), std::string::npos);
  store->close();
  EXPECT_EQ(metrics::render_prometheus().find("healthd_store_write_queue_depth{store=\"metrics-test\"}"),
            std::string::npos);
}

// ---- opening ----

TEST(SqliteFhirStoreOpen, RecordsTheSchemaVersion) {
  TempDir dir;
  open_sqlite_fhir_store(options_in(dir))->close();
  Db raw(options_in(dir).path, Db::Mode::ReadOnly);
  EXPECT_EQ(raw.query_int("PRAGMA user_version"), fhir_store_schema().latest());
  EXPECT_EQ(raw.query_int("PRAGMA application_id"), fhir_store_schema().application_id);
  EXPECT_EQ(raw.query_text("PRAGMA journal_mode"), "wal");
}

TEST(SqliteFhirStoreOpen, RefusesANewerSchema) {
  TempDir dir;
  open_sqlite_fhir_store(options_in(dir))->close();
  Db(options_in(dir).path, Db::Mode::ReadWriteCreate).exec("PRAGMA user_version = 999");
  try {
    open_sqlite_fhir_store(options_in(dir));
    FAIL() << "opened a database with a newer schema";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("newer"), std::string::npos) << e.what();
  }
}

TEST(SqliteFhirStoreOpen, RefusesAFileThatIsNotADatabase) {
  TempDir dir;
  SqliteStoreOptions o = options_in(dir);
  std::filesystem::create_directories(std::filesystem::path(o.path).parent_path());
  {
    std::ofstream f(o.path, std::ios::binary);
    for (int i = 0; i < 200; ++i) f << "this is certainly not an SQLite database file\n";
  }
  try {
    open_sqlite_fhir_store(o);
    FAIL() << "opened a file that is not a database";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find(o.path), std::string::npos) << "message names the file: " << e.what();
  }
}

TEST(SqliteFhirStoreOpen, RefusesAnotherApplicationsDatabase) {
  TempDir dir;
  SqliteStoreOptions o = options_in(dir);
  std::filesystem::create_directories(std::filesystem::path(o.path).parent_path());
  Db(o.path, Db::Mode::ReadWriteCreate).exec("CREATE TABLE something_else (x)");
  EXPECT_THROW(open_sqlite_fhir_store(o), std::runtime_error);
}

TEST(SqliteFhirStoreOpen, RefusesAnUnwritableLocation) {
  SqliteStoreOptions o;
  o.path = "/proc/healthd-cannot-live-here/fhir.db";
  EXPECT_THROW(open_sqlite_fhir_store(o), std::runtime_error);
  o.path = "";
  EXPECT_THROW(open_sqlite_fhir_store(o), std::runtime_error);
}

}  // namespace
}  // namespace healthd::storage

namespace healthd::storage {
namespace {

// The nice values of this process's threads called `name` (/proc/self/task/*/comm and stat).
std::vector<int> nice_of_threads_named(const std::string& name) {
  std::vector<int> out;
  for (const auto& task : std::filesystem::directory_iterator("/proc/self/task")) {
    std::ifstream comm(task.path() / "comm");
    std::string c;
    std::getline(comm, c);
    if (c != name) continue;
    std::ifstream stat(task.path() / "stat");
    std::string line;
    std::getline(stat, line);
    // Fields after the parenthesized comm: state is field 3, nice field 19.
    std::istringstream rest(line.substr(line.rfind(')') + 2));
    std::string field;
    for (int i = 3; i <= 19 && rest >> field; ++i) {
    }
    out.push_back(std::stoi(field));
  }
  return out;
}

TEST(SqliteFhirStoreWriterThread, IsNamedAndRunsAtTheConfiguredPriorityWhenAllowed) {
  TempDir dir;
  SqliteStoreOptions options = options_in(dir);
  options.writer_nice = -3;
  auto store = open_sqlite_fhir_store(options);
  // The thread names and prioritizes itself as it starts.
  std::vector<int> nices;
  for (int i = 0; i < 200 && nices.empty(); ++i) {
    nices = nice_of_threads_named("fhir-writer");
    if (nices.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_FALSE(nices.empty()) << "no thread named fhir-writer";
  // Raising priority needs root (or CAP_SYS_NICE); without it the writer keeps the default.
  const int expected = geteuid() == 0 ? -3 : 0;
  EXPECT_NE(std::find(nices.begin(), nices.end(), expected), nices.end());
}

}  // namespace
}  // namespace healthd::storage
