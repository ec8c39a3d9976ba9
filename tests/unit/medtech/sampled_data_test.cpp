// SampledData data strings, with the slot rules of the IoMT connector's SampledDataProcessor
// (docs/Configuration.md: one slot per period from the window start, "E" for gaps, the latest
// value of a slot wins) and the reference's merge rule (the new value wins at the same time).
#include <gtest/gtest.h>

#include "medtech/sampled_data.h"

namespace mt = healthd::medtech;

namespace {
constexpr int64_t S = 1000000;  // one second in µs
std::vector<mt::TimedValue> at(std::initializer_list<std::pair<int64_t, const char*>> v) {
  std::vector<mt::TimedValue> out;
  for (auto& [t, s] : v) out.push_back({t, s});
  return out;
}
}  // namespace

TEST(SampledData, OneSlotPerPeriodWithGaps) {
  EXPECT_EQ(*mt::build_sampled_data(at({{0, "1"}, {2 * S, "3"}}), 0, 4 * S, 1000), "1 E 3 E E");
  EXPECT_EQ(*mt::build_sampled_data(at({{0, "1"}}), 0, 0, 1000), "1");  // an instant: one slot
  // A window ending one tick before the next slot: an hour of 1 s slots is 3600 slots.
  EXPECT_EQ(mt::build_sampled_data({}, 0, 3600 * S - 1, 1000)->size(), 3600u * 2 - 1);
}

TEST(SampledData, LatestValueOfASlotWins) {
  EXPECT_EQ(*mt::build_sampled_data(at({{S / 10, "a"}, {S / 2, "b"}, {S + 5, "c"}}), 0, S, 1000), "b c");
}

TEST(SampledData, ValuesOutsideTheWindowAreIgnored) {
  EXPECT_EQ(*mt::build_sampled_data(at({{-S, "x"}, {S, "y"}, {9 * S, "z"}}), 0, 2 * S, 1000), "E y E");
}

TEST(SampledData, FractionalPeriods) {
  EXPECT_EQ(*mt::build_sampled_data(at({{0, "1"}, {1500, "2"}, {3000, "3"}}), 0, 3000, 1.5), "1 2 3");
}

TEST(SampledData, TooManySlots) {
  EXPECT_FALSE(mt::build_sampled_data({}, 0, 24 * 3600 * S, 1));  // a day of 1 ms slots
}

TEST(SampledData, DecodeSkipsGaps) {
  auto v = mt::decode_sampled_data("1 E 3 L U 6", 10 * S, 1000);
  ASSERT_EQ(v.size(), 3u);
  EXPECT_EQ(v[0].time_us, 10 * S);
  EXPECT_EQ(v[1].time_us, 12 * S);
  EXPECT_EQ(v[1].value, "3");
  EXPECT_EQ(v[2].time_us, 15 * S);
}

TEST(SampledData, MergeNewWinsAtTheSameTime) {
  auto m = mt::merge_samples(at({{0, "old0"}, {2 * S, "old2"}}), at({{S, "new1"}, {2 * S, "new2"}, {3 * S, "new3"}}));
  ASSERT_EQ(m.size(), 4u);
  EXPECT_EQ(m[0].value, "old0");
  EXPECT_EQ(m[1].value, "new1");
  EXPECT_EQ(m[2].value, "new2");
  EXPECT_EQ(m[3].value, "new3");
}

TEST(SampledData, SampleValues) {
  for (const char* s : {"1", "-19", "98.43639286275842", "1e-3", "0.5", "1.9811999999999999"}) EXPECT_TRUE(mt::is_sample_value(s)) << s;
  for (const char* s : {"", "E", "abc", "1.2.3", "1e", "-", "1 2"}) EXPECT_FALSE(mt::is_sample_value(s)) << s;
}
