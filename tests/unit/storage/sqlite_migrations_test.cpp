#include "storage/sqlite_migrations.h"

#include <gtest/gtest.h>

#include "storage_test_util.h"

namespace healthd::storage {
namespace {

using testing::TempDir;

Schema schema_up_to(int version) {
  Schema s{"test store", 0x74657374, {}};
  const std::vector<Migration> all = {
      {1, "CREATE TABLE a (x INTEGER)"},
      {2, "ALTER TABLE a ADD COLUMN y TEXT; CREATE TABLE b (z)"},
      {3, "INSERT INTO b VALUES (42)"},
  };
  for (const auto& m : all)
    if (m.version <= version) s.migrations.push_back(m);
  return s;
}

TEST(SqliteMigrations, AppliesStepsInOrderAndRecordsTheVersion) {
  TempDir dir;
  Db db(dir.file("m.db"), Db::Mode::ReadWriteCreate);
  EXPECT_EQ(migrate(db, schema_up_to(1)), 0);
  EXPECT_EQ(db.query_int("PRAGMA user_version"), 1);
  EXPECT_EQ(db.query_int("PRAGMA application_id"), 0x74657374);

  // A later program version applies only the new steps.
  EXPECT_EQ(migrate(db, schema_up_to(3)), 1);
  EXPECT_EQ(db.query_int("PRAGMA user_version"), 3);
  EXPECT_EQ(db.query_int("SELECT z FROM b"), 42);
  EXPECT_EQ(db.query_int("SELECT count(*) FROM pragma_table_info('a') WHERE name = 'y'"), 1);

  // Running again changes nothing.
  EXPECT_EQ(migrate(db, schema_up_to(3)), 3);
  EXPECT_EQ(db.query_int("SELECT count(*) FROM b"), 1);
}

TEST(SqliteMigrations, AFailingStepLeavesThePreviousVersion) {
  TempDir dir;
  Db db(dir.file("m.db"), Db::Mode::ReadWriteCreate);
  migrate(db, schema_up_to(1));
  Schema broken = schema_up_to(1);
  broken.migrations.push_back({2, "CREATE TABLE c (q); THIS IS NOT SQL"});
  EXPECT_THROW(migrate(db, broken), std::runtime_error);
  EXPECT_EQ(db.query_int("PRAGMA user_version"), 1);
  EXPECT_EQ(db.query_int("SELECT count(*) FROM sqlite_schema WHERE name = 'c'"), 0);
}

TEST(SqliteMigrations, RefusesNewerVersionsAndOtherApplications) {
  TempDir dir;
  Db db(dir.file("m.db"), Db::Mode::ReadWriteCreate);
  migrate(db, schema_up_to(3));
  EXPECT_THROW(migrate(db, schema_up_to(2)), std::runtime_error);

  Schema other = schema_up_to(3);
  other.application_id = 1234;
  EXPECT_THROW(migrate(db, other), std::runtime_error);
}

}  // namespace
}  // namespace healthd::storage
