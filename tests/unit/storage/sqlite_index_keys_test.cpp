// The stored form of index keys: round trips, ordering as sets, damaged blobs.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>

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

TEST(IndexKeys, EveryTableRoundTripsItsFields) {
  for (IndexTable t : {IndexTable::String, IndexTable::Token, IndexTable::Ref, IndexTable::Date, IndexTable::Quantity}) {
    IndexKey in = key(t), out;
    ASSERT_TRUE(decode_key(encode_key(in), out));
    EXPECT_EQ(out.table, t);
    EXPECT_EQ(out.pid, 300);
    switch (t) {
      case IndexTable::String: EXPECT_EQ(out.text2, "Original"); [[fallthrough]];
      case IndexTable::Ref: EXPECT_EQ(out.text, "Patient/1"); break;
      case IndexTable::Token:
        EXPECT_EQ(out.text, "Patient/1");
        EXPECT_EQ(out.sys, in.sys);
        break;
      case IndexTable::Date:
        EXPECT_EQ(out.ilow, in.ilow);
        EXPECT_EQ(out.ihigh, 42);
        break;
      case IndexTable::Quantity:
        EXPECT_TRUE(std::isinf(out.dlow));
        EXPECT_EQ(out.dhigh, 1.5);
        EXPECT_EQ(out.sys, in.sys);
        break;
      default: break;
    }
  }
}

TEST(IndexKeys, CompositeKeysRoundTripWithTheirKindOfRange) {
  for (uint8_t range : {0, 1, 2}) {
    IndexKey in = key(IndexTable::Composite), out;
    in.sys2 = system_hash("http://unitsofmeasure.org");
    in.range = range;
    ASSERT_TRUE(decode_key(encode_key(in), out)) << int(range);
    EXPECT_EQ(out.table, IndexTable::Composite);
    EXPECT_EQ(out.text, "Patient/1");
    EXPECT_EQ(out.text2, "Original");
    EXPECT_EQ(out.sys, in.sys);
    EXPECT_EQ(out.sys2, in.sys2);
    EXPECT_EQ(out.range, range);
    if (range == 1) EXPECT_EQ(out.ilow, in.ilow);
    if (range == 2) EXPECT_EQ(out.dhigh, 1.5);
    // Keys differing only in their range are different keys.
    IndexKey other = in;
    other.ihigh = 43;
    other.dhigh = 2.5;
    EXPECT_EQ(encode_key(other) == encode_key(in), range == 0);
  }
  std::string bad = encode_key(key(IndexTable::Composite));
  bad.back() = 7;  // an unknown kind of range
  IndexKey out;
  EXPECT_FALSE(decode_key(bad, out));
}

TEST(IndexKeys, BlobsSplitBackIntoTheirKeysAndDamageIsReported) {
  std::vector<std::string> keys = {encode_key(key(IndexTable::Date)), encode_key(key(IndexTable::Token))};
  std::vector<std::string> back;
  ASSERT_TRUE(split_keys(join_keys(keys), back));
  EXPECT_EQ(back, keys);
  std::string blob = join_keys(keys);
  blob.pop_back();
  EXPECT_FALSE(split_keys(blob, back));
  IndexKey k;
  EXPECT_FALSE(decode_key(keys[0].substr(0, 5), k));
  EXPECT_FALSE(decode_key(keys[0] + "x", k));
  EXPECT_FALSE(decode_key("", k));
}

TEST(IndexKeys, SystemHashIsZeroOnlyForNoSystem) {
  EXPECT_EQ(system_hash(""), 0);
  EXPECT_NE(system_hash("http://loinc.org"), 0);
  EXPECT_NE(system_hash("http://loinc.org"), system_hash("http://snomed.info/sct"));
}

}  // namespace
}  // namespace healthd::storage
