// Index keys as the writer compares them: one total order per table and its columns, so the
// keys of two versions diff in one merge pass, and system hashes.
#include <gtest/gtest.h>

#include <algorithm>
#include <limits>
#include <vector>

#include "storage/sqlite_index_keys.h"

namespace healthd::storage {
namespace {

IndexKey key(IndexTable t) {
  IndexKey k;
  k.table = t;
  k.pid = 300;
  k.text = "Patient/1";
  k.text2 = "Original";
  k.sys = system_hash("http://loinc.org");
  k.ilow = std::numeric_limits<int64_t>::min();
  k.ihigh = 42;
  k.dlow = -std::numeric_limits<double>::infinity();
  k.dhigh = 1.5;
  return k;
}

TEST(IndexKeys, EveryColumnTakesPartInTheOrder) {
  const IndexKey base = key(IndexTable::Composite);
  EXPECT_TRUE(key_equal(base, key(IndexTable::Composite)));
  std::vector<IndexKey> changed(11, base);
  changed[0].table = IndexTable::Token;
  changed[1].pid = 301;
  changed[2].text = "Patient/2";
  changed[3].text2 = "Other";
  changed[4].sys = 7;
  changed[5].sys2 = 8;
  changed[6].ilow = 0;
  changed[7].ihigh = 43;
  changed[8].dlow = 0;
  changed[9].dhigh = 2.5;
  changed[10].range = 2;
  for (size_t i = 0; i < changed.size(); ++i) {
    EXPECT_FALSE(key_equal(base, changed[i])) << i;
    EXPECT_NE(key_less(base, changed[i]), key_less(changed[i], base)) << i;
  }
}

TEST(IndexKeys, SortedKeysGroupByTableThenParameter) {
  std::vector<IndexKey> keys = {key(IndexTable::Date), key(IndexTable::String), key(IndexTable::Token)};
  keys[1].pid = 1;
  keys.push_back(key(IndexTable::String));
  std::sort(keys.begin(), keys.end(), key_less);
  EXPECT_EQ(keys[0].table, IndexTable::String);
  EXPECT_EQ(keys[0].pid, 1);
  EXPECT_EQ(keys[1].table, IndexTable::String);
  EXPECT_EQ(keys[1].pid, 300);
  EXPECT_EQ(keys[2].table, IndexTable::Token);
  EXPECT_EQ(keys[3].table, IndexTable::Date);
}

TEST(IndexKeys, SystemHashIsZeroOnlyForNoSystem) {
  EXPECT_EQ(system_hash(""), 0);
  EXPECT_NE(system_hash("http://loinc.org"), 0);
  EXPECT_NE(system_hash("http://loinc.org"), system_hash("http://snomed.info/sct"));
}

}  // namespace
}  // namespace healthd::storage
