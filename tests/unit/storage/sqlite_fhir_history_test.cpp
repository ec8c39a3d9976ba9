// History queries of the SQLite store: levels, order, keyset paging, _since, _at, totals.
#include <gtest/gtest.h>

#include "storage/sqlite_db.h"
#include "storage/sqlite_fhir_store.h"
#include "storage/sqlite_history_sql.h"
#include "storage_test_util.h"

namespace healthd::storage {
namespace {

using namespace testing;

// In commit order (seq ascending):
//   Patient/a v1 @100, Observation/o v1 @150, Patient/a v2 @200, Patient/b v1 @250, Patient/a v3 (delete) @300
class SqliteFhirHistoryTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store = open_sqlite_fhir_store(options_in(dir));
    commit_one(create("Patient", "a", 100), "a1");
    commit_one(create("Observation", "o", 150), "o1");
    commit_one(update("Patient", "a", 2, 200), "a2");
    commit_one(create("Patient", "b", 250), "b1");
    commit_one(remove("Patient", "a", 3, 300), "a3");
  }

  void commit_one(fhir::WriteOp op, const std::string& name) {
    fhir::CommitResult r = store->commit({std::move(op)});
    ASSERT_TRUE(r.ok()) << r.message;
    seq_of[name] = r.seqs[0];
    name_of[r.seqs[0]] = name;
  }

  // The page as names like "a3", newest first.
  std::vector<std::string> names(const fhir::HistoryPage& page) {
    std::vector<std::string> out;
    for (const auto& v : page.entries) out.push_back(name_of.at(v.seq));
    return out;
  }

  fhir::HistoryQuery query(std::string type = {}, std::string id = {}) {
    fhir::HistoryQuery q;
    q.type = std::move(type);
    q.id = std::move(id);
    q.count = 100;
    return q;
  }

  using Names = std::vector<std::string>;
  TempDir dir;
  std::shared_ptr<fhir::Store> store;
  std::map<std::string, int64_t> seq_of;
  std::map<int64_t, std::string> name_of;
};

TEST_F(SqliteFhirHistoryTest, InstanceTypeAndSystemLevelsAreNewestFirst) {
  EXPECT_EQ(names(store->history(query("Patient", "a"))), (Names{"a3", "a2", "a1"}));
  EXPECT_EQ(names(store->history(query("Patient"))), (Names{"a3", "b1", "a2", "a1"}));
  EXPECT_EQ(names(store->history(query("Observation"))), (Names{"o1"}));
  EXPECT_EQ(names(store->history(query())), (Names{"a3", "b1", "a2", "o1", "a1"}));
  EXPECT_TRUE(store->history(query("Encounter")).entries.empty());
  EXPECT_TRUE(store->history(query("Patient", "zzz")).entries.empty());
}

TEST_F(SqliteFhirHistoryTest, EntriesCarryEveryField) {
  fhir::HistoryPage page = store->history(query("Patient", "a"));
  ASSERT_EQ(page.entries.size(), 3u);
  const auto& deleted = page.entries[0];
  EXPECT_EQ(deleted.type, "Patient");
  EXPECT_EQ(deleted.id, "a");
  EXPECT_EQ(deleted.version, 3);
  EXPECT_EQ(deleted.last_updated_us, 300);
  EXPECT_TRUE(deleted.deleted());
  EXPECT_TRUE(deleted.json.empty());
  EXPECT_EQ(page.entries[1].kind, fhir::StoredVersion::Kind::Update);
  EXPECT_EQ(page.entries[2].kind, fhir::StoredVersion::Kind::Create);
  EXPECT_NE(page.entries[2].json.find("\"id\":\"a\""), std::string::npos);
}

TEST_F(SqliteFhirHistoryTest, KeysetPagingWithHasMore) {
  fhir::HistoryQuery q = query();
  q.count = 2;
  fhir::HistoryPage p1 = store->history(q);
  EXPECT_EQ(names(p1), (Names{"a3", "b1"}));
  EXPECT_TRUE(p1.has_more);

  q.before_seq = p1.entries.back().seq;
  fhir::HistoryPage p2 = store->history(q);
  EXPECT_EQ(names(p2), (Names{"a2", "o1"}));
  EXPECT_TRUE(p2.has_more);

  q.before_seq = p2.entries.back().seq;
  fhir::HistoryPage p3 = store->history(q);
  EXPECT_EQ(names(p3), (Names{"a1"}));
  EXPECT_FALSE(p3.has_more);

  // Exactly count entries left: has_more is false.
  q.before_seq = seq_of["a2"];
  EXPECT_FALSE(store->history(q).has_more);

  // Pages stay stable while new versions arrive (they get larger seqs).
  commit_one(create("Patient", "c", 400), "c1");
  q.before_seq = p1.entries.back().seq;
  EXPECT_EQ(names(store->history(q)), (Names{"a2", "o1"}));
}

TEST_F(SqliteFhirHistoryTest, InstanceAndTypePaging) {
  fhir::HistoryQuery q = query("Patient", "a");
  q.count = 1;
  fhir::HistoryPage p = store->history(q);
  EXPECT_EQ(names(p), (Names{"a3"}));
  EXPECT_TRUE(p.has_more);
  q.before_seq = p.entries.back().seq;
  p = store->history(q);
  EXPECT_EQ(names(p), (Names{"a2"}));
  EXPECT_TRUE(p.has_more);

  fhir::HistoryQuery t = query("Patient");
  t.count = 3;
  t.before_seq = seq_of["a3"];
  p = store->history(t);
  EXPECT_EQ(names(p), (Names{"b1", "a2", "a1"}));
  EXPECT_FALSE(p.has_more);
}

TEST_F(SqliteFhirHistoryTest, TotalCountsAllMatchesIgnoringBeforeSeq) {
  fhir::HistoryQuery q = query();
  q.count = 2;
  q.with_total = true;
  q.before_seq = seq_of["b1"];
  fhir::HistoryPage p = store->history(q);
  EXPECT_EQ(p.entries.size(), 2u);
  EXPECT_EQ(p.total, 5);

  q = query("Patient");
  q.with_total = true;
  EXPECT_EQ(store->history(q).total, 4);
  q = query("Patient", "a");
  q.with_total = true;
  EXPECT_EQ(store->history(q).total, 3);
  q = query();
  EXPECT_FALSE(store->history(q).total) << "no total unless asked";

  // _count=0: only the total.
  q = query("Patient");
  q.count = 0;
  q.with_total = true;
  p = store->history(q);
  EXPECT_TRUE(p.entries.empty());
  EXPECT_TRUE(p.has_more);
  EXPECT_EQ(p.total, 4);
}

TEST_F(SqliteFhirHistoryTest, SinceKeepsVersionsUpdatedAtOrAfter) {
  fhir::HistoryQuery q = query();
  q.since_us = 200;
  q.with_total = true;
  fhir::HistoryPage p = store->history(q);
  EXPECT_EQ(names(p), (Names{"a3", "b1", "a2"}));
  EXPECT_EQ(p.total, 3);

  q = query("Patient", "a");
  q.since_us = 201;
  EXPECT_EQ(names(store->history(q)), (Names{"a3"}));
  q.since_us = 1000;
  EXPECT_TRUE(store->history(q).entries.empty());
}

TEST_F(SqliteFhirHistoryTest, AtWindowKeepsVersionsCurrentSometimeInIt) {
  fhir::HistoryQuery q = query();
  q.at_start_us = 120;
  q.at_end_us = 180;
  EXPECT_EQ(names(store->history(q)), (Names{"o1", "a1"}));

  q.at_start_us = 210;
  q.at_end_us = 260;
  EXPECT_EQ(names(store->history(q)), (Names{"b1", "a2", "o1"}));

  // A single instant: a1 ended exactly at 200, so at 200 only a2 (and o1) were current.
  q.at_start_us = 200;
  q.at_end_us = 201;
  EXPECT_EQ(names(store->history(q)), (Names{"a2", "o1"}));

  // Open-ended window: only what is current now, or became current later than the start.
  q.at_start_us = 310;
  q.at_end_us.reset();
  EXPECT_EQ(names(store->history(q)), (Names{"a3", "b1", "o1"}));

  // Only an end: everything that began before it.
  q.at_start_us.reset();
  q.at_end_us = 200;
  EXPECT_EQ(names(store->history(q)), (Names{"o1", "a1"}));

  q = query("Patient");
  q.at_start_us = 210;
  q.at_end_us = 260;
  q.with_total = true;
  fhir::HistoryPage p = store->history(q);
  EXPECT_EQ(names(p), (Names{"b1", "a2"}));
  EXPECT_EQ(p.total, 2);
}

TEST_F(SqliteFhirHistoryTest, AtWindowFollowsTheNextStoredVersionAfterHistoryIsTrimmed) {
  fhir::WriteOp op = update("Observation", "o", 2, 500);
  op.keep_history = false;
  commit_one(op, "o2");
  fhir::HistoryQuery q = query("Observation");
  q.at_start_us = 160;
  q.at_end_us = 170;
  EXPECT_TRUE(store->history(q).entries.empty()) << "o1 is gone and o2 began later";
  q.at_start_us = 600;
  q.at_end_us.reset();
  EXPECT_EQ(names(store->history(q)), (Names{"o2"}));
}

TEST_F(SqliteFhirHistoryTest, IdWithoutTypeIsRejected) {
  fhir::HistoryQuery q;
  q.id = "a";
  EXPECT_THROW(store->history(q), std::invalid_argument);
}

// The queries must walk indexes, not scan and sort, or they slow down as the store grows.
TEST_F(SqliteFhirHistoryTest, QueriesUseIndexesWithoutSorting) {
  Db raw(options_in(dir).path, Db::Mode::ReadOnly);
  auto plan = [&](const std::string& sql) {
    Statement s = raw.prepare("EXPLAIN QUERY PLAN " + sql);
    std::string out;
    while (s.step()) out += std::string(s.column_text(3)) + "\n";
    return out;
  };
  std::string instance = plan(history_page_sql(query("Patient", "a")));
  EXPECT_NE(instance.find("resource_version_by_key"), std::string::npos) << instance;
  EXPECT_EQ(instance.find("TEMP B-TREE"), std::string::npos) << instance;

  std::string type = plan(history_page_sql(query("Patient")));
  EXPECT_NE(type.find("resource_version_by_type"), std::string::npos) << type;
  EXPECT_EQ(type.find("TEMP B-TREE"), std::string::npos) << type;

  std::string system = plan(history_page_sql(query()));
  EXPECT_EQ(system.find("TEMP B-TREE"), std::string::npos) << system;

  fhir::HistoryQuery at = query("Patient");
  at.at_start_us = 1;
  at.at_end_us = 2;
  std::string at_plan = plan(history_page_sql(at));
  EXPECT_EQ(at_plan.find("TEMP B-TREE"), std::string::npos) << at_plan;
  EXPECT_EQ(at_plan.find("SCAN n"), std::string::npos) << "next version found by index: " << at_plan;

  std::string current = plan("SELECT * FROM resource_version WHERE type = 'Patient' AND id = 'a' ORDER BY version DESC LIMIT 1");
  EXPECT_NE(current.find("SEARCH resource_version USING INDEX resource_version_by_key"), std::string::npos) << current;
  EXPECT_EQ(current.find("TEMP B-TREE"), std::string::npos) << current;

  std::string newest = plan(
      "SELECT version FROM resource_version WHERE type = 'Patient' AND id = 'a' ORDER BY version DESC LIMIT 1");
  EXPECT_NE(newest.find("SEARCH resource_version USING COVERING INDEX resource_version_by_key"),
            std::string::npos)
      << newest;
}

}  // namespace
}  // namespace healthd::storage
