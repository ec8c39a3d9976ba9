// Building Observations and merging newer data into stored ones (reference medtech.md: merged by
// time, the new value wins at the same time, re-encoded with E for gaps, status amended, nothing
// changed -> no write).
#include <gtest/gtest.h>

#include "medtech/json_compare.h"
#include "medtech/observation.h"
#include "medtech/timestamp.h"

namespace mt = healthd::medtech;

namespace {

mt::ObservationGroup group(int64_t start, int64_t end, std::vector<std::pair<const char*, const char*>> values,
                           const char* name = "hr") {
  mt::ObservationGroup g;
  g.type = "heartrate";
  g.start_us = start;
  g.end_us = end;
  for (auto [t, v] : values) g.values[name].push_back({*mt::parse_timestamp(t), v});
  return g;
}

mt::CodeValueTemplate hr_template(mt::PeriodInterval p, mt::ValueKind kind = mt::ValueKind::SampledData) {
  mt::CodeValueTemplate t;
  t.type_name = "heartrate";
  t.period = p;
  t.codes = {{"8867-4", "http://loinc.org", "Heart rate"}};
  t.value = mt::ValueSpec{kind, "hr", 1000, "count/min", "", "", "", {}};
  return t;
}

const int64_t kHour = *mt::parse_timestamp("2023-10-09T19:00:00Z");
const int64_t kHourEnd = kHour + 3600LL * 1000000 - 1;
const mt::ResolvedIds kIds{"p1", "d1", std::nullopt};

std::string data(const rapidjson::Value& obs) { return obs["valueSampledData"]["data"].GetString(); }
std::string slot(const std::string& d, size_t i) {
  size_t pos = 0;
  for (size_t k = 0; k < i; ++k) pos = d.find(' ', pos) + 1;
  return d.substr(pos, d.find(' ', pos) - pos);
}

}  // namespace

TEST(ObservationMerge, NewSampleInTheSameHour) {
  auto t = hr_template(mt::PeriodInterval::Hour);
  mt::ObservationOptions opt{mt::kMedTechSystem, *mt::parse_timestamp("2024-01-01T00:00:00Z")};
  std::vector<mt::PipelineError> errors;
  auto built = mt::build_observation(t, group(kHour, kHourEnd, {{"2023-10-09T19:18:23Z", "65"}}), kIds, opt, errors);
  ASSERT_TRUE(built);
  auto& obs = built->resource;
  EXPECT_EQ(built->id, mt::observation_id(mt::kMedTechSystem, "p1.d1.heartrate.20231009190000Z.20231009195959Z"));

  mt::ObservationOptions later{mt::kMedTechSystem, opt.issued_us + 1000000};
  EXPECT_TRUE(mt::merge_observation(t, group(kHour, kHourEnd, {{"2023-10-09T19:18:24Z", "66"}}), obs, later, errors));
  EXPECT_STREQ(obs["status"].GetString(), "amended");
  EXPECT_STREQ(obs["issued"].GetString(), "2024-01-01T00:00:00Z");  // issued is not touched by a merge
  EXPECT_EQ(slot(data(obs), 1103), "65");
  EXPECT_EQ(slot(data(obs), 1104), "66");
  EXPECT_EQ(slot(data(obs), 1105), "E");

  // The same data again: nothing changed, nothing to write.
  rapidjson::Document copy;
  copy.CopyFrom(obs, copy.GetAllocator());
  EXPECT_FALSE(mt::merge_observation(t, group(kHour, kHourEnd, {{"2023-10-09T19:18:24Z", "66"}}), obs, later, errors));
  EXPECT_TRUE(mt::json_equal(copy, obs));

  // A new value at a time already stored wins.
  EXPECT_TRUE(mt::merge_observation(t, group(kHour, kHourEnd, {{"2023-10-09T19:18:23Z", "70"}}), obs, later, errors));
  EXPECT_EQ(slot(data(obs), 1103), "70");
  EXPECT_EQ(slot(data(obs), 1104), "66");
  EXPECT_TRUE(errors.empty());
}

TEST(ObservationMerge, CorrelationWindowGrowsAndSeriesAreReencoded) {
  auto t = hr_template(mt::PeriodInterval::Correlation);
  mt::ObservationOptions opt{mt::kMedTechSystem, 0};
  std::vector<mt::PipelineError> errors;
  auto g = group(*mt::parse_timestamp("2021-07-01T10:00:00Z"), *mt::parse_timestamp("2021-07-01T10:00:05Z"),
                 {{"2021-07-01T10:00:00Z", "70"}, {"2021-07-01T10:00:02Z", "72"}, {"2021-07-01T10:00:05Z", "75"}});
  g.correlation_id = "s-42";
  auto built = mt::build_observation(t, g, kIds, opt, errors);
  ASSERT_TRUE(built);
  EXPECT_EQ(built->identifier_value, "p1.d1.heartrate.s-42");
  EXPECT_EQ(data(built->resource), "70 E 72 E E 75");

  auto earlier = group(*mt::parse_timestamp("2021-07-01T09:59:58Z"), *mt::parse_timestamp("2021-07-01T09:59:58Z"),
                       {{"2021-07-01T09:59:58Z", "68"}});
  earlier.correlation_id = "s-42";
  EXPECT_TRUE(mt::merge_observation(t, earlier, built->resource, opt, errors));
  EXPECT_EQ(data(built->resource), "68 E 70 E 72 E E 75");
  EXPECT_STREQ(built->resource["effectivePeriod"]["start"].GetString(), "2021-07-01T09:59:58Z");
  EXPECT_STREQ(built->resource["effectivePeriod"]["end"].GetString(), "2021-07-01T10:00:05Z");
}

TEST(ObservationMerge, ComponentsMergedAndAdded) {
  mt::CodeValueTemplate t;
  t.type_name = "bloodpressure";
  t.period = mt::PeriodInterval::Hour;
  t.components = {{{{"8867-4", "http://loinc.org", ""}}, {mt::ValueKind::SampledData, "diastolic", 1000, "mmHg", "", "", "", {}}},
                  {{{"8480-6", "http://loinc.org", ""}}, {mt::ValueKind::SampledData, "systolic", 1000, "mmHg", "", "", "", {}}}};
  mt::ObservationOptions opt{mt::kMedTechSystem, 0};
  std::vector<mt::PipelineError> errors;
  auto first = group(kHour, kHourEnd, {{"2023-10-09T19:00:01Z", "80"}}, "diastolic");
  auto built = mt::build_observation(t, first, kIds, opt, errors);
  ASSERT_TRUE(built);
  ASSERT_EQ(built->resource["component"].Size(), 1u);  // no systolic yet
  auto second = group(kHour, kHourEnd, {{"2023-10-09T19:00:02Z", "81"}}, "diastolic");
  second.values["systolic"].push_back({*mt::parse_timestamp("2023-10-09T19:00:02Z"), "120"});
  EXPECT_TRUE(mt::merge_observation(t, second, built->resource, opt, errors));
  auto& comps = built->resource["component"];
  ASSERT_EQ(comps.Size(), 2u);
  std::string dia = comps[0]["valueSampledData"]["data"].GetString();
  EXPECT_EQ(slot(dia, 1), "80");
  EXPECT_EQ(slot(dia, 2), "81");
  EXPECT_EQ(slot(std::string(comps[1]["valueSampledData"]["data"].GetString()), 2), "120");
  EXPECT_STREQ(comps[1]["code"]["text"].GetString(), "systolic");
}

TEST(ObservationMerge, QuantityReplacedOnlyWhenDifferent) {
  auto t = hr_template(mt::PeriodInterval::Instant, mt::ValueKind::Quantity);
  int64_t at = *mt::parse_timestamp("2021-03-01T08:15:00Z");
  mt::ObservationOptions opt{mt::kMedTechSystem, 0};
  std::vector<mt::PipelineError> errors;
  auto built = mt::build_observation(t, group(at, at, {{"2021-03-01T08:15:00Z", "70"}}), kIds, opt, errors);
  ASSERT_TRUE(built);
  EXPECT_STREQ(built->resource["effectiveDateTime"].GetString(), "2021-03-01T08:15:00Z");
  EXPECT_EQ(built->resource["valueQuantity"]["value"].GetInt64(), 70);
  EXPECT_FALSE(mt::merge_observation(t, group(at, at, {{"2021-03-01T08:15:00Z", "70"}}), built->resource, opt, errors));
  EXPECT_STREQ(built->resource["status"].GetString(), "final");
  EXPECT_TRUE(mt::merge_observation(t, group(at, at, {{"2021-03-01T08:15:00Z", "71.5"}}), built->resource, opt, errors));
  EXPECT_DOUBLE_EQ(built->resource["valueQuantity"]["value"].GetDouble(), 71.5);
  EXPECT_TRUE(errors.empty());
}

TEST(ObservationMerge, ExistingWithoutEffectiveIsAnError) {
  auto t = hr_template(mt::PeriodInterval::Hour);
  rapidjson::Document obs;
  obs.Parse(R"({"resourceType": "Observation", "status": "final"})");
  std::vector<mt::PipelineError> errors;
  EXPECT_FALSE(mt::merge_observation(t, group(kHour, kHourEnd, {{"2023-10-09T19:18:23Z", "65"}}), obs, {}, errors));
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].kind, "IncompatibleObservation");
}

TEST(ObservationMerge, NonNumericSamplesAreLeftOut) {
  auto t = hr_template(mt::PeriodInterval::Hour);
  std::vector<mt::PipelineError> errors;
  auto built = mt::build_observation(t, group(kHour, kHourEnd, {{"2023-10-09T19:00:00Z", "65"}, {"2023-10-09T19:00:01Z", "n/a"}}),
                                     kIds, {}, errors);
  ASSERT_TRUE(built);
  EXPECT_EQ(slot(data(built->resource), 0), "65");
  EXPECT_EQ(slot(data(built->resource), 1), "E");
  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(errors[0].kind, "InvalidSample");
}
