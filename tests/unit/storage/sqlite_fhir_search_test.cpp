// Search over the resource and ix_* tables: index keys replaced per version (only the changed
// ones), predicates, AND/OR, missing, current non-deleted resources only, keyset paging, totals.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <limits>
#include <memory>
#include <thread>

#include "storage/sqlite_db.h"
#include "storage/sqlite_fhir_store.h"
#include "storage/sqlite_migrations.h"
#include "storage/sqlite_search_sql.h"
#include "storage_test_util.h"

namespace healthd::storage {
namespace {

using namespace testing;
using fhir::IndexRow;
using fhir::SearchBound;
using fhir::SearchClause;
using fhir::SearchPredicate;
using fhir::SearchQuery;

IndexRow token(std::string param, std::string system, std::string code) {
  IndexRow r;
  r.param = std::move(param);
  r.kind = IndexRow::Kind::Token;
  r.system = std::move(system);
  r.text = std::move(code);
  return r;
}

IndexRow str(std::string param, std::string normalized, std::string original) {
  IndexRow r;
  r.param = std::move(param);
  r.kind = IndexRow::Kind::String;
  r.text = std::move(normalized);
  r.system = std::move(original);
  return r;
}

IndexRow date(std::string param, int64_t lo, int64_t hi) {
  IndexRow r;
  r.param = std::move(param);
  r.kind = IndexRow::Kind::Date;
  r.low_us = lo;
  r.high_us = hi;
  return r;
}

IndexRow number(std::string param, double v) {
  IndexRow r;
  r.param = std::move(param);
  r.kind = IndexRow::Kind::Quantity;
  r.low = r.high = v;
  r.system = "http://unitsofmeasure.org";
  r.unit = "mg";
  return r;
}

fhir::WriteOp with(fhir::WriteOp op, std::vector<IndexRow> rows) {
  op.index = std::move(rows);
  return op;
}

SearchPredicate tok(std::string code, std::optional<std::string> system = std::nullopt) {
  SearchPredicate p;
  p.kind = SearchPredicate::Kind::Token;
  p.value = std::move(code);
  if (system) {
    p.has_system = true;
    p.system = *system;
  }
  return p;
}

SearchPredicate text(SearchPredicate::Kind kind, std::string v) {
  SearchPredicate p;
  p.kind = kind;
  p.value = std::move(v);
  return p;
}

SearchPredicate range(std::vector<std::vector<SearchBound>> any_of, bool is_int, bool negate = false) {
  SearchPredicate p;
  p.kind = SearchPredicate::Kind::Range;
  p.any_of = std::move(any_of);
  p.negate = negate;
  return p;
}

SearchBound bound(SearchBound::Column c, SearchBound::Op op, int64_t i) {
  SearchBound b;
  b.column = c;
  b.op = op;
  b.i = i;
  return b;
}

SearchBound dbound(SearchBound::Column c, SearchBound::Op op, double d) {
  SearchBound b;
  b.column = c;
  b.op = op;
  b.is_int = false;
  b.d = d;
  return b;
}

// The index each test parameter lives in, as the FHIR service would say.
IndexRow::Kind kind_of(const std::string& param) {
  if (param == "name") return IndexRow::Kind::String;
  if (param == "birthdate") return IndexRow::Kind::Date;
  if (param == "value") return IndexRow::Kind::Quantity;
  return IndexRow::Kind::Token;
}

SearchClause clause(std::string param, std::vector<SearchPredicate> any_of) {
  SearchClause c;
  c.kind = kind_of(param);
  c.param = std::move(param);
  c.any_of = std::move(any_of);
  return c;
}

class SqliteFhirSearchTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store = open_sqlite_fhir_store(options_in(dir));
    commit(with(create("Patient", "a", 100), {str("name", "muller", "Müller"), token("gender", "", "female"),
                                               date("birthdate", 1000, 2000)}));
    commit(with(create("Patient", "b", 200), {str("name", "smith", "Smith"), token("gender", "", "male"),
                                               date("birthdate", 3000, 4000)}));
    commit(with(create("Patient", "c", 200), {str("name", "smithson", "Smithson"), token("gender", "", "male")}));
    commit(with(create("Observation", "o", 300), {token("code", "http://loinc.org", "8867-4"), number("value", 72),
                                                   token("gender", "", "male")}));
  }

  void commit(fhir::WriteOp op) {
    fhir::CommitResult r = store->commit({std::move(op)});
    ASSERT_TRUE(r.ok()) << r.message;
  }

  std::vector<std::string> ids(const SearchQuery& q) {
    std::vector<std::string> out;
    for (const auto& v : store->search(q).entries) out.push_back(v.id);
    return out;
  }

  SearchQuery query(std::string type, std::vector<SearchClause> clauses) {
    SearchQuery q;
    q.type = std::move(type);
    q.clauses = std::move(clauses);
    q.count = 100;
    return q;
  }

  TempDir dir;
  std::shared_ptr<fhir::Store> store;
};

using V = std::vector<std::string>;
using K = SearchPredicate::Kind;
using C = SearchBound::Column;
using O = SearchBound::Op;

TEST_F(SqliteFhirSearchTest, NoClausesListsCurrentResourcesOfTheTypeInCreationOrder) {
  EXPECT_EQ(ids(query("Patient", {})), (V{"a", "b", "c"}));
  EXPECT_EQ(ids(query("Observation", {})), (V{"o"}));
  EXPECT_EQ(ids(query("Encounter", {})), V{});
  // An update keeps the resource's place.
  commit(with(update("Patient", "a", 2, 900), {str("name", "muller", "Müller")}));
  EXPECT_EQ(ids(query("Patient", {})), (V{"a", "b", "c"}));
}

TEST_F(SqliteFhirSearchTest, TokenWithAndWithoutSystemIsPerType) {
  EXPECT_EQ(ids(query("Patient", {clause("gender", {tok("male")})})), (V{"b", "c"}));
  EXPECT_EQ(ids(query("Patient", {clause("gender", {tok("male", "")})})), (V{"b", "c"}));
  EXPECT_EQ(ids(query("Patient", {clause("gender", {tok("male", "http://x")})})), V{});
  EXPECT_EQ(ids(query("Observation", {clause("code", {tok("8867-4", "http://loinc.org")})})), (V{"o"}));
  SearchPredicate system_only = tok("", "http://loinc.org");
  system_only.has_code = false;
  EXPECT_EQ(ids(query("Observation", {clause("code", {system_only})})), (V{"o"}));
}

TEST_F(SqliteFhirSearchTest, StringPrefixExactOrAndAnd) {
  EXPECT_EQ(ids(query("Patient", {clause("name", {text(K::Prefix, "smi")})})), (V{"b", "c"}));
  EXPECT_EQ(ids(query("Patient", {clause("name", {text(K::Exact, "Smith")})})), (V{"b"}));
  EXPECT_EQ(ids(query("Patient", {clause("name", {text(K::Exact, "smith")})})), V{});
  // GLOB and LIKE metacharacters in a value are literal.
  EXPECT_EQ(ids(query("Patient", {clause("name", {text(K::Prefix, "s*")})})), V{});
  EXPECT_EQ(ids(query("Patient", {clause("name", {text(K::Contains, "ith")})})), (V{"b", "c"}));
  EXPECT_EQ(ids(query("Patient", {clause("name", {text(K::Contains, "%")})})), V{});
  EXPECT_EQ(ids(query("Patient", {clause("name", {text(K::Contains, "m_l")})})), V{});
  // OR within a clause, AND across clauses.
  EXPECT_EQ(ids(query("Patient", {clause("name", {text(K::Prefix, "mul"), text(K::Prefix, "smithson")})})),
            (V{"a", "c"}));
  EXPECT_EQ(ids(query("Patient", {clause("name", {text(K::Prefix, "smi")}), clause("gender", {tok("female")})})),
            V{});
}

TEST_F(SqliteFhirSearchTest, DateAndNumberRangesIdAndLastUpdated) {
  // birthdate within [900, 2100)
  auto eq = range({{bound(C::Low, O::Ge, 900), bound(C::High, O::Le, 2100)}}, true);
  EXPECT_EQ(ids(query("Patient", {clause("birthdate", {eq})})), (V{"a"}));
  auto negated = range({{bound(C::Low, O::Ge, 900), bound(C::High, O::Le, 2100)}}, true, true);
  EXPECT_EQ(ids(query("Patient", {clause("birthdate", {negated})})), (V{"b"}));
  auto gt = range({{dbound(C::High, O::Gt, 70.0)}}, false);
  EXPECT_EQ(ids(query("Observation", {clause("value", {gt})})), (V{"o"}));
  gt.unit = "kg";
  EXPECT_EQ(ids(query("Observation", {clause("value", {gt})})), V{});
  EXPECT_EQ(ids(query("Patient", {clause("_id", {text(K::Text, "c"), text(K::Text, "a")})})), (V{"a", "c"}));
  auto lu = range({{bound(C::Low, O::Ge, 200)}}, true);
  EXPECT_EQ(ids(query("Patient", {clause("_lastUpdated", {lu})})), (V{"b", "c"}));
}

TEST_F(SqliteFhirSearchTest, MissingTrueAndFalse) {
  SearchClause missing = clause("birthdate", {});
  missing.missing = true;
  EXPECT_EQ(ids(query("Patient", {missing})), (V{"c"}));
  missing.missing = false;
  EXPECT_EQ(ids(query("Patient", {missing})), (V{"a", "b"}));
}

TEST_F(SqliteFhirSearchTest, UpdateReplacesRowsDeleteAndPurgeRemoveThem) {
  commit(with(update("Patient", "b", 2, 400), {str("name", "jones", "Jones"), token("gender", "", "male")}));
  EXPECT_EQ(ids(query("Patient", {clause("name", {text(K::Prefix, "smi")})})), (V{"c"}));
  EXPECT_EQ(ids(query("Patient", {clause("name", {text(K::Prefix, "jon")})})), (V{"b"}));
  commit(remove("Patient", "c", 2, 500));
  EXPECT_EQ(ids(query("Patient", {clause("gender", {tok("male")})})), (V{"b"}));
  EXPECT_EQ(ids(query("Patient", {})), (V{"a", "b"}));  // deleted: gone even without clauses
  commit(purge("Patient", "a"));
  EXPECT_EQ(ids(query("Patient", {})), (V{"b"}));
  EXPECT_EQ(ids(query("Patient", {clause("gender", {tok("female")})})), V{});

  // A conflicting write leaves the index as it was.
  fhir::CommitResult r = store->commit({with(update("Patient", "b", 7, 600), {str("name", "zed", "Zed")})});
  EXPECT_EQ(r.status, fhir::CommitResult::Status::Conflict);
  EXPECT_EQ(ids(query("Patient", {clause("name", {text(K::Prefix, "zed")})})), V{});
  EXPECT_EQ(ids(query("Patient", {clause("name", {text(K::Prefix, "jon")})})), (V{"b"}));
}

TEST_F(SqliteFhirSearchTest, KeysetPagingVisitsEachResourceOnceAndCountsTotal) {
  SearchQuery q = query("Patient", {});
  q.count = 2;
  q.with_total = true;
  fhir::SearchPage p1 = store->search(q);
  ASSERT_EQ(p1.entries.size(), 2u);
  EXPECT_TRUE(p1.has_more);
  EXPECT_EQ(p1.total, 3);
  ASSERT_GT(p1.next, 0);
  q.after = p1.next;
  fhir::SearchPage p2 = store->search(q);
  ASSERT_EQ(p2.entries.size(), 1u);
  EXPECT_EQ(p2.entries[0].id, "c");
  EXPECT_FALSE(p2.has_more);
  EXPECT_EQ(p2.total, 3);  // the total ignores the cursor
  q.with_total = false;
  EXPECT_FALSE(store->search(q).total);
}

TEST_F(SqliteFhirSearchTest, SnapshotPagingLeavesOutResourcesCreatedAfterTheFirstPage) {
  SearchQuery q = query("Patient", {});
  q.count = 1;
  q.with_total = true;
  fhir::SearchPage p1 = store->search(q);
  ASSERT_EQ(p1.entries.size(), 1u);
  ASSERT_GT(p1.snapshot_seq, 0);
  // After the first page: a new match, an update of a listed resource, a deletion.
  commit(with(create("Patient", "d", 900), {str("name", "doe", "Doe")}));
  commit(with(update("Patient", "b", 2, 901), {str("name", "smith", "Smith"), token("gender", "", "male")}));
  commit(remove("Patient", "c", 2, 902));
  q.after = p1.next;
  q.snapshot_seq = p1.snapshot_seq;
  q.count = 10;
  fhir::SearchPage rest = store->search(q);
  std::vector<std::string> got;
  for (const auto& v : rest.entries) got.push_back(v.id);
  EXPECT_EQ(got, (V{"b"}));  // b (updated) stays, c (deleted) and d (new) are not there
  EXPECT_EQ(rest.total, 2);
  EXPECT_EQ(rest.snapshot_seq, p1.snapshot_seq);
  // The same through the index-ordered path (one exact token) and in a system search.
  commit(with(create("Patient", "e", 903), {token("gender", "", "male")}));
  SearchQuery t = query("Patient", {clause("gender", {tok("male")})});
  t.snapshot_seq = p1.snapshot_seq;
  EXPECT_EQ(ids(t), (V{"b"}));
  t.snapshot_seq = 0;
  EXPECT_EQ(ids(t), (V{"b", "e"}));
  SearchQuery all;
  all.count = 100;
  all.snapshot_seq = p1.snapshot_seq;
  EXPECT_EQ(ids(all), (V{"a", "b", "o"}));
}

TEST_F(SqliteFhirSearchTest, GroupsAreOrAndNotOfClauseLists) {
  // (name = smith or gender = female) and not (birthdate present)
  SearchClause either;
  either.groups.push_back({"Patient", {clause("name", {text(K::Text, "smith")})}});
  either.groups.push_back({"Patient", {clause("gender", {tok("female")})}});
  EXPECT_EQ(ids(query("Patient", {either})), (V{"a", "b"}));
  SearchClause dated = clause("birthdate", {});
  dated.missing = false;
  SearchClause undated;
  undated.negate = true;
  undated.groups.push_back({"Patient", {dated}});
  EXPECT_EQ(ids(query("Patient", {undated})), (V{"c"}));
  EXPECT_EQ(ids(query("Patient", {either, undated})), V{});
  // A group of two clauses is their AND; a suffix predicate (_filter ew) on strings.
  SearchClause both;
  both.groups.push_back({"Patient", {clause("gender", {tok("male")}), clause("name", {text(K::Suffix, "son")})}});
  EXPECT_EQ(ids(query("Patient", {both})), (V{"c"}));
}

TEST_F(SqliteFhirSearchTest, SystemSearchOverAllOrSomeTypesWithPerTypeClauses) {
  SearchQuery all;
  all.count = 100;
  // Grouped by type (in the order types were first stored), then creation order.
  EXPECT_EQ(ids(all), (V{"a", "b", "c", "o"}));
  SearchQuery some;
  some.count = 100;
  some.types = {{"Patient", {clause("gender", {tok("male")})}}, {"Observation", {clause("gender", {tok("male")})}}};
  auto got = ids(some);
  std::sort(got.begin(), got.end());
  EXPECT_EQ(got, (V{"b", "c", "o"}));
  some.types = {{"Encounter", {}}};
  EXPECT_EQ(ids(some), V{});
}

TEST_F(SqliteFhirSearchTest, SortByParametersMissingLastTiesInCreationOrderPagedByKeyset) {
  auto sorted = [&](std::vector<fhir::SearchSort> sort, int count = 100, int64_t offset = 0) {
    SearchQuery q = query("Patient", {});
    q.sort = std::move(sort);
    q.count = count;
    q.offset = offset;
    return q;
  };
  using S = fhir::SearchSort;
  EXPECT_EQ(ids(sorted({S{"birthdate", IndexRow::Kind::Date, false, {}}})), (V{"a", "b", "c"}));
  EXPECT_EQ(ids(sorted({S{"birthdate", IndexRow::Kind::Date, true, {}}})), (V{"b", "a", "c"}));  // c has none
  EXPECT_EQ(ids(sorted({S{"name", IndexRow::Kind::String, true, {}}})), (V{"c", "b", "a"}));
  EXPECT_EQ(ids(sorted({S{"gender", IndexRow::Kind::Token, false, {}}, S{"name", IndexRow::Kind::String, true, {}}})),
            (V{"a", "c", "b"}));
  EXPECT_EQ(ids(sorted({S{"_id", IndexRow::Kind::Token, true, {}}})), (V{"c", "b", "a"}));
  // An explicit offset skips that many.
  EXPECT_EQ(ids(sorted({S{"_id", IndexRow::Kind::Token, true, {}}}, 2, 2)), (V{"a"}));
  // Keyset: the next page starts after the last resource's sort keys and key.
  auto after = [&](SearchQuery q, const fhir::SearchPage& prev) {
    q.after = prev.next;
    q.after_keys = prev.next_keys;
    return q;
  };
  for (const auto& sort : std::vector<std::vector<S>>{
           {S{"_id", IndexRow::Kind::Token, true, {}}},
           {S{"birthdate", IndexRow::Kind::Date, true, {}}},  // c has none: a NULL key in the cursor
           {S{"gender", IndexRow::Kind::Token, false, {}}, S{"name", IndexRow::Kind::String, true, {}}}}) {
    std::vector<std::string> all = ids(sorted(sort));
    std::vector<std::string> paged;
    fhir::SearchPage p = store->search(sorted(sort, 1));
    for (int guard = 0; guard < 5; ++guard) {
      for (const auto& v : p.entries) paged.push_back(v.id);
      if (!p.has_more) break;
      EXPECT_EQ(p.next_keys.size(), sort.size());
      p = store->search(after(sorted(sort, 1), p));
    }
    EXPECT_EQ(paged, all) << sort[0].param;
  }
}

TEST_F(SqliteFhirSearchTest, NotModifierExcludesResourcesWithAMatchingValue) {
  SearchClause c = clause("gender", {tok("male")});
  c.negate = true;
  EXPECT_EQ(ids(query("Patient", {c})), (V{"a"}));
  SearchClause id = clause("_id", {text(K::Text, "a")});
  id.negate = true;
  EXPECT_EQ(ids(query("Patient", {id})), (V{"b", "c"}));
}

class SqliteFhirChainTest : public SqliteFhirSearchTest {
 protected:
  void SetUp() override {
    SqliteFhirSearchTest::SetUp();
    commit(with(create("Observation", "o1", 400), {ref("subject", "Patient/b"), token("code", "", "x")}));
    commit(with(create("Observation", "o2", 401), {ref("subject", "Patient/a"), token("code", "", "y")}));
    commit(with(create("Observation", "o3", 402), {ref("performer", "Patient/c"), token("code", "", "x")}));
  }
  static IndexRow ref(std::string param, std::string value) {
    IndexRow r;
    r.param = std::move(param);
    r.kind = IndexRow::Kind::Reference;
    r.text = std::move(value);
    return r;
  }
  static SearchClause ref_clause(std::string param) {
    SearchClause c;
    c.param = std::move(param);
    c.kind = IndexRow::Kind::Reference;
    return c;
  }
};

TEST_F(SqliteFhirChainTest, ChainFollowsTheReferenceToAMatchingResource) {
  SearchClause c = ref_clause("subject");
  c.chain = {{"Patient", {clause("name", {text(K::Prefix, "smi")})}}};
  EXPECT_EQ(ids(query("Observation", {c})), (V{"o1"}));
  c.chain = {{"Patient", {clause("gender", {tok("female")})}}};
  EXPECT_EQ(ids(query("Observation", {c})), (V{"o2"}));
  c.chain = {{"Group", {}}};
  EXPECT_EQ(ids(query("Observation", {c})), V{});
}

TEST_F(SqliteFhirChainTest, HasFindsResourcesReferredToByMatchingOnes) {
  SearchClause h = ref_clause("subject");
  h.has = std::make_shared<fhir::SearchFilter>(fhir::SearchFilter{"Observation", {clause("code", {tok("x")})}});
  EXPECT_EQ(ids(query("Patient", {h})), (V{"b"}));
  h.has->clauses = {};
  EXPECT_EQ(ids(query("Patient", {h})), (V{"a", "b"}));
  // Nested: patients referred to by observations whose subject is a female patient... (o2 -> a).
  SearchClause inner = ref_clause("subject");
  inner.chain = {{"Patient", {clause("gender", {tok("female")})}}};
  h.has->clauses = {inner};
  EXPECT_EQ(ids(query("Patient", {h})), (V{"a"}));
}

TEST_F(SqliteFhirChainTest, AlsoParamsCountAsTheSameParameter) {
  SearchClause c = ref_clause("subject");
  c.also_params = {"performer"};
  SearchPredicate p = text(K::Text, "Patient/c");
  c.any_of = {p};
  EXPECT_EQ(ids(query("Observation", {c})), (V{"o3"}));
  c.also_params.clear();
  EXPECT_EQ(ids(query("Observation", {c})), V{});
}

// A chain matching more than kDenseMatches index rows takes the dense scan (rid order, every
// clause checked per resource): paging through it gives exactly the matches, each once, in
// creation order, also where a window holds too few of them (the listing plan answers then).
TEST_F(SqliteFhirChainTest, ABroadChainPagesThroughEveryMatchOnceInCreationOrder) {
  std::vector<fhir::WriteOp> ops;
  V expected;
  const int n = 2 * static_cast<int>(kDenseMatches);
  for (int i = 0; i < n; ++i) {
    const std::string id = "d" + std::to_string(i);
    // Patient/b is a Smith: two of three observations match the chain; every fifth has code z.
    const bool smith = i % 3 != 2 || i > n - 40;
    ops.push_back(with(create("Observation", id, 500 + i),
                       {ref("subject", smith ? "Patient/b" : "Patient/a"), token("code", "", i % 5 ? "x" : "z")}));
    if (smith && i % 5) expected.push_back(id);
  }
  ASSERT_TRUE(store->commit(std::move(ops)).ok());
  SearchClause c = ref_clause("subject");
  c.chain = {{"Patient", {clause("name", {text(K::Prefix, "smith")})}}};
  SearchQuery q = query("Observation", {c, clause("code", {tok("x")})});
  q.count = 7;
  V seen;
  for (int pages = 0; pages < 1000; ++pages) {
    fhir::SearchPage page = store->search(q);
    for (const auto& v : page.entries) seen.push_back(v.id);
    if (!page.has_more) break;
    q.after = page.next;
  }
  expected.insert(expected.begin(), "o1");  // the fixture's observation of Patient/b, code x
  EXPECT_EQ(seen, expected);
  q.after = 0;
  q.with_total = true;
  EXPECT_EQ(store->search(q).total, static_cast<int64_t>(expected.size()));
}

TEST(SqliteSearchSql, GlobEscape) {
  EXPECT_EQ(glob_escape("a*b?c[d]"), "a[*]b[?]c[[]d]");
}

TEST_F(SqliteFhirSearchTest, UpdatesAddAndRemoveExactlyTheChangedKeys) {
  store->close();
  auto count = [&](const char* table) {
    Db db(dir.file("sub/dir/fhir.db"), Db::Mode::ReadOnly);
    return db.query_int(std::string("SELECT count(*) FROM ") + table);
  };
  EXPECT_EQ(count("ix_token"), 5);  // Patient gender x3; Observation code and gender
  EXPECT_EQ(count("ix_string"), 3);
  store = open_sqlite_fhir_store(options_in(dir));
  commit(with(update("Patient", "a", 2, 900),
              {str("name", "muller", "Müller"), token("gender", "", "female"), token("gender", "", "other")}));
  commit(remove("Patient", "b", 2, 901));
  store->close();
  EXPECT_EQ(count("ix_token"), 5);  // a: +other; b: -male
  EXPECT_EQ(count("ix_date"), 0);   // a dropped its birthdate, b was deleted
  EXPECT_EQ(count("ix_string"), 2);
}

TEST_F(SqliteFhirSearchTest, ReindexReplacesTheCurrentVersionsIndexWithoutANewVersion) {
  fhir::WriteOp op;
  op.kind = fhir::WriteOp::Kind::Reindex;
  op.type = "Patient";
  op.id = "c";
  op.version = 1;
  op.index = {str("name", "zz", "ZZ"), token("gender", "", "other")};
  fhir::CommitResult r = store->commit({op});
  ASSERT_TRUE(r.ok()) << r.message;
  EXPECT_EQ(ids(query("Patient", {clause("name", {text(K::Prefix, "zz")})})), (V{"c"}));
  EXPECT_EQ(ids(query("Patient", {clause("name", {text(K::Prefix, "smithson")})})), V{});
  EXPECT_EQ(store->current("Patient", "c")->version, 1);  // no new version
  op.version = 2;  // not the current version: refused, index unchanged
  r = store->commit({op});
  EXPECT_EQ(r.status, fhir::CommitResult::Status::Conflict);
  EXPECT_EQ(r.current_version, 1);
}

TEST_F(SqliteFhirSearchTest, ConditionalCreateIsRefusedWhenAMatchExistsEvenInTheSameBatch) {
  auto unless = std::make_shared<SearchQuery>(query("Patient", {clause("name", {text(K::Prefix, "smithson")})}));
  fhir::WriteOp op = with(create("Patient", "d", 700), {str("name", "smithson", "Smithson")});
  op.unless_match = unless;
  fhir::CommitResult r = store->commit({op});
  EXPECT_EQ(r.status, fhir::CommitResult::Status::Exists);
  EXPECT_EQ(r.existing_ids, (V{"c"}));
  EXPECT_FALSE(store->current("Patient", "d"));
  // No match yet: the first of two identical conditional creates committed together wins.
  auto nobody = std::make_shared<SearchQuery>(query("Patient", {clause("name", {text(K::Prefix, "newname")})}));
  fhir::WriteOp e = with(create("Patient", "e", 701), {str("name", "newname", "Newname")});
  fhir::WriteOp f = with(create("Patient", "f", 702), {str("name", "newname", "Newname")});
  e.unless_match = f.unless_match = nobody;
  fhir::CommitResult re, rf;
  std::thread t([&] { re = store->commit({e}); });
  rf = store->commit({f});
  t.join();
  EXPECT_EQ((re.ok() ? 1 : 0) + (rf.ok() ? 1 : 0), 1);
  EXPECT_EQ(ids(query("Patient", {clause("name", {text(K::Prefix, "newname")})})).size(), 1u);
}

TEST_F(SqliteFhirSearchTest, RowsWaitingForTheBatchFlushAreRightWhenOneCommitWritesAResourceTwice) {
  // New rows are written sorted at the end of the writer's batch: a second version in the same
  // commit must still replace the first one's rows, a purge remove them, a search see them.
  fhir::CommitResult r = store->commit({with(create("Patient", "x", 800), {str("name", "first", "First"), token("gender", "", "male")}),
                                        with(update("Patient", "x", 2, 801), {str("name", "second", "Second"), token("gender", "", "male")}),
                                        with(create("Patient", "y", 802), {str("name", "first", "First")}),
                                        with(create("Patient", "z", 803), {str("name", "gone", "Gone")}),
                                        purge("Patient", "z")});
  ASSERT_TRUE(r.ok()) << r.message;
  EXPECT_EQ(ids(query("Patient", {clause("name", {text(K::Prefix, "first")})})), (V{"y"}));
  EXPECT_EQ(ids(query("Patient", {clause("name", {text(K::Prefix, "second")})})), (V{"x"}));
  EXPECT_EQ(ids(query("Patient", {clause("name", {text(K::Prefix, "gone")})})), V{});
  EXPECT_EQ(ids(query("Patient", {clause("gender", {tok("male")})})), (V{"b", "c", "x"}));
  // A conditional create sees the rows its own commit wrote before it.
  auto twin = std::make_shared<SearchQuery>(query("Patient", {clause("name", {text(K::Prefix, "twin")})}));
  fhir::WriteOp second = with(create("Patient", "t2", 805), {str("name", "twin", "Twin")});
  second.unless_match = twin;
  r = store->commit({with(create("Patient", "t1", 804), {str("name", "twin", "Twin")}), second});
  EXPECT_EQ(r.status, fhir::CommitResult::Status::Exists) << r.message;
  EXPECT_EQ(ids(query("Patient", {clause("name", {text(K::Prefix, "twin")})})), V{});  // all or nothing
  store->close();
  Db db(dir.file("sub/dir/fhir.db"), Db::Mode::ReadOnly);
  EXPECT_EQ(db.query_int("SELECT count(*) FROM ix_string"), 5);  // a, b, c, x (second), y
}

IndexRow composite(std::string code, IndexRow::Kind second, int64_t ilo, int64_t ihi, double dlo, double dhi) {
  IndexRow r;
  r.param = "code-value";
  r.kind = IndexRow::Kind::Composite;
  r.text = std::move(code);
  r.system = "http://loinc.org";
  r.second = second;
  r.unit = "mg";
  r.system2 = "http://unitsofmeasure.org";
  r.low_us = ilo;
  r.high_us = ihi;
  r.low = dlo;
  r.high = dhi;
  return r;
}

IndexRow ref(std::string param, std::string value) {
  IndexRow r;
  r.param = std::move(param);
  r.kind = IndexRow::Kind::Reference;
  r.text = std::move(value);
  return r;
}

// Every kind of key read back from its table compares equal to the one the next version
// computes, so an unchanged version rewrites nothing and a changed one only its changes.
TEST_F(SqliteFhirSearchTest, KeysReadBackFromEveryTableDiffAgainstTheNextVersion) {
  const std::vector<IndexRow> rows = {
      str("name", "muller", "Müller"), token("code", "http://loinc.org", "1-8"), ref("subject", "Patient/a"),
      date("date", -5, 7), number("value", 2.5),
      composite("1-8", IndexRow::Kind::Date, 10, 20, 0, 0),
      composite("1-8", IndexRow::Kind::Quantity, 0, 0, 0.5, 1.5),
      composite("1-8", IndexRow::Kind::Token, 0, 0, 0, 0)};
  commit(with(create("Observation", "k", 400), rows));
  auto counts = [&] {
    Db db(dir.file("sub/dir/fhir.db"), Db::Mode::ReadOnly);
    std::vector<int64_t> n;
    for (const char* t : {"ix_string", "ix_token", "ix_ref", "ix_date", "ix_quantity", "ix_composite"})
      n.push_back(db.query_int(std::string("SELECT count(*) FROM ") + t));
    return n;
  };
  const std::vector<int64_t> before = counts();
  commit(with(update("Observation", "k", 2, 502), rows));
  EXPECT_EQ(counts(), before);
  std::vector<IndexRow> fewer(rows.begin(), rows.end() - 2);
  fewer.push_back(composite("1-8", IndexRow::Kind::Quantity, 0, 0, 0.5, 9.5));
  commit(with(update("Observation", "k", 3, 503), fewer));
  std::vector<int64_t> expect = before;
  expect[5] -= 1;  // the token composite went; the quantity one changed its range
  EXPECT_EQ(counts(), expect);
  commit(remove("Observation", "k", 4, 600));
  expect = {before[0] - 1, before[1] - 1, before[2] - 1, before[3] - 1, before[4] - 1, 0};
  EXPECT_EQ(counts(), expect);
}

// A store as an older healthd left it: the FHIR schema up to `version`, at the path options_in uses.
std::unique_ptr<Db> store_at_schema(const TempDir& dir, size_t version) {
  std::filesystem::create_directories(dir.file("sub/dir"));
  auto db = std::make_unique<Db>(dir.file("sub/dir/fhir.db"), Db::Mode::ReadWriteCreate);
  db->exec("PRAGMA journal_mode = WAL");
  Schema old = fhir_store_schema();
  old.migrations.resize(version);
  migrate(*db, old);
  return db;
}

TEST(SqliteSearchSchema, MigrationAddsTheIndexTables) {
  TempDir dir;
  auto store = open_sqlite_fhir_store(options_in(dir));
  store->close();
  Db db(dir.file("sub/dir/fhir.db"), Db::Mode::ReadOnly);
  EXPECT_EQ(db.query_int("PRAGMA user_version"), 5);
  for (const char* t : {"resource", "search_type", "search_param", "ix_string", "ix_token", "ix_ref", "ix_date",
                        "ix_quantity", "service_state", "ix_composite", "ix_composite_by_rid"})
    EXPECT_EQ(db.query_int(std::string("SELECT count(*) FROM sqlite_schema WHERE name = '") + t + "'"), 1) << t;
}

TEST(SqliteSearchSchema, AStoreFromSchemaTwoGainsTheCompositeTableAndKeepsItsIndex) {
  TempDir dir;
  {
    auto old = store_at_schema(dir, 2);
    Db& db = *old;
    EXPECT_EQ(db.query_int("SELECT count(*) FROM sqlite_schema WHERE name = 'ix_composite'"), 0);
  }
  auto store = open_sqlite_fhir_store(options_in(dir));
  store->close();
  Db db(dir.file("sub/dir/fhir.db"), Db::Mode::ReadOnly);
  EXPECT_EQ(db.query_int("PRAGMA user_version"), 5);
  EXPECT_EQ(db.query_int("SELECT count(*) FROM sqlite_schema WHERE name = 'ix_composite'"), 1);
}

TEST(SqliteSearchSchema, AStoreFromSchemaFourLosesTheKeyBlobsAndKeepsItsIndex) {
  TempDir dir;
  {
    // Written by a healthd that kept each resource's keys in resource.index_keys.
    auto old = store_at_schema(dir, 4);
    Db& db = *old;
    db.exec("INSERT INTO resource_version VALUES (1, 'Patient', 'p', 1, 10, 0, 0, '{}')");
    db.exec("INSERT INTO search_type VALUES (1, 'Patient')");
    db.exec("INSERT INTO search_param VALUES (1, 1, 'gender')");
    db.exec("INSERT INTO resource VALUES (1099511627777, 1, 'p', 1, 10, 0, x'0102')");
    db.exec("INSERT INTO ix_token VALUES (1, 'male', 0, 1099511627777)");
  }
  auto store = open_sqlite_fhir_store(options_in(dir));
  SearchQuery q;
  q.type = "Patient";
  q.clauses = {clause("gender", {tok("male")})};
  EXPECT_EQ(store->search(q).entries.size(), 1u);
  // A new version replaces the rows the old healthd wrote.
  fhir::CommitResult r = store->commit({with(update("Patient", "p", 2, 20), {token("gender", "", "female")})});
  ASSERT_TRUE(r.ok()) << r.message;
  EXPECT_EQ(store->search(q).entries.size(), 0u);
  q.clauses = {clause("gender", {tok("female")})};
  EXPECT_EQ(store->search(q).entries.size(), 1u);
  store->close();
  Db db(dir.file("sub/dir/fhir.db"), Db::Mode::ReadOnly);
  EXPECT_EQ(db.query_int("PRAGMA user_version"), 5);
  EXPECT_EQ(db.query_int("SELECT count(*) FROM pragma_table_info('resource') WHERE name = 'index_keys'"), 0);
  EXPECT_EQ(db.query_int("SELECT count(*) FROM ix_token"), 1);
}

TEST(SqliteSearchSchema, AStoreFromSchemaOneGetsOneResourceRowPerResource) {
  TempDir dir;
  {
    // A schema-1 store as healthd wrote it before search existed.
    auto old = store_at_schema(dir, 1);
    Db& db = *old;
    db.exec("INSERT INTO resource_version VALUES (1, 'Patient', 'p', 1, 10, 0, 0, '{}')");
    db.exec("INSERT INTO resource_version VALUES (2, 'Patient', 'q', 1, 11, 0, 0, '{}')");
    db.exec("INSERT INTO resource_version VALUES (3, 'Patient', 'p', 2, 12, 1, 0, '{}')");
    db.exec("INSERT INTO resource_version VALUES (4, 'Patient', 'q', 2, 13, 2, 0, '')");
  }
  auto store = open_sqlite_fhir_store(options_in(dir));
  SearchQuery q;
  q.type = "Patient";
  auto page = store->search(q);
  ASSERT_EQ(page.entries.size(), 1u);  // q is deleted
  EXPECT_EQ(page.entries[0].id, "p");
  EXPECT_EQ(page.entries[0].version, 2);
  // Written again, it is indexed like any resource.
  fhir::CommitResult r = store->commit({with(update("Patient", "p", 3, 20), {token("gender", "", "male")})});
  ASSERT_TRUE(r.ok()) << r.message;
  SearchClause c = clause("gender", {tok("male")});
  q.clauses = {c};
  EXPECT_EQ(store->search(q).entries.size(), 1u);
}

fhir::WriteOp put_state(std::string key, std::string value) {
  fhir::WriteOp o;
  o.kind = fhir::WriteOp::Kind::PutState;
  o.id = std::move(key);
  o.json = std::move(value);
  return o;
}

TEST(SqliteServiceState, PutStateIsWrittenWithTheOtherOpsAndSurvivesReopening) {
  TempDir dir;
  {
    auto store = open_sqlite_fhir_store(options_in(dir));
    EXPECT_FALSE(store->state("job").has_value());
    std::string big(5000, 'x');  // above the compression threshold: stored as text all the same
    ASSERT_TRUE(store->commit({create("Patient", "p"), put_state("job", big)}).ok());
    EXPECT_EQ(store->state("job"), big);
    ASSERT_TRUE(store->commit({put_state("job", "{\"n\":2}")}).ok());
    EXPECT_EQ(store->state("job"), "{\"n\":2}");
    // A failed caller writes none of its state.
    auto r = store->commit({create("Patient", "p"), put_state("job", "lost")});
    EXPECT_EQ(r.status, fhir::CommitResult::Status::Conflict);
    EXPECT_EQ(store->state("job"), "{\"n\":2}");
    EXPECT_EQ(store->commit({put_state("", "x")}).status, fhir::CommitResult::Status::Error);
  }
  auto store = open_sqlite_fhir_store(options_in(dir));
  EXPECT_EQ(store->state("job"), "{\"n\":2}");
}

TEST(SqliteServiceState, AStoreFromSchemaTwoGetsTheStateTable) {
  TempDir dir;
  store_at_schema(dir, 2);  // closed again at once
  auto store = open_sqlite_fhir_store(options_in(dir));
  EXPECT_FALSE(store->state("string_normalization").has_value());
  ASSERT_TRUE(store->commit({put_state("string_normalization", "v")}).ok());
  EXPECT_EQ(store->state("string_normalization"), "v");
}

}  // namespace
}  // namespace healthd::storage
