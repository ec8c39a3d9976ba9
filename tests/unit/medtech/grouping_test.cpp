// Grouping by identity key and by periodInterval windows (reference medtech.md).
#include <gtest/gtest.h>

#include "medtech/grouping.h"
#include "medtech/timestamp.h"

namespace mt = healthd::medtech;

namespace {

mt::Measurement m(const char* type, const char* device, const char* time, const char* value,
                  std::optional<std::string> correlation = std::nullopt) {
  mt::Measurement x;
  x.type = type;
  x.device_id = device;
  x.patient_id = "p";
  x.correlation_id = correlation;
  x.occurrence_us = *mt::parse_timestamp(time);
  x.values.emplace_back("v", value);
  return x;
}

mt::CodeValueTemplate sampled(mt::PeriodInterval p) {
  mt::CodeValueTemplate t;
  t.type_name = "hr";
  t.period = p;
  t.value = mt::ValueSpec{mt::ValueKind::SampledData, "v", 1000, "", "", "", "", {}};
  return t;
}

}  // namespace

TEST(Grouping, ByDeviceTypePatientEncounterCorrelation) {
  std::vector<mt::Measurement> ms{m("hr", "d1", "2021-01-01T10:00:00Z", "1"), m("hr", "d2", "2021-01-01T10:00:00Z", "2"),
                                  m("steps", "d1", "2021-01-01T10:00:00Z", "3"), m("hr", "d1", "2021-01-01T10:05:00Z", "4"),
                                  m("hr", "d1", "2021-01-01T10:06:00Z", "5", "c1")};
  auto groups = mt::group_measurements(ms);
  ASSERT_EQ(groups.size(), 4u);
  EXPECT_EQ(groups[0].device_id, "d1");
  EXPECT_EQ(groups[0].measurements.size(), 2u);
  EXPECT_EQ(groups[1].device_id, "d2");
  EXPECT_EQ(groups[2].type, "steps");
  EXPECT_EQ(groups[3].correlation_id, "c1");
}

TEST(Grouping, HourAndDayWindowsInUtc) {
  std::vector<mt::Measurement> ms{m("hr", "d", "2021-01-01T10:59:59.999Z", "1"), m("hr", "d", "2021-01-01T11:00:00Z", "2"),
                                  m("hr", "d", "2021-01-01T12:30:00+02:00", "3")};
  auto g = mt::group_measurements(ms)[0];
  std::vector<mt::PipelineError> errors;
  auto hours = mt::observation_groups(sampled(mt::PeriodInterval::Hour), g, errors);
  ASSERT_EQ(hours.size(), 2u);  // 12:30+02:00 is 10:30Z
  EXPECT_EQ(mt::format_timestamp(hours[0].start_us), "2021-01-01T10:00:00Z");
  EXPECT_EQ(mt::format_timestamp(hours[0].end_us), "2021-01-01T10:59:59.999999Z");
  EXPECT_EQ(hours[0].values.at("v").size(), 2u);
  auto days = mt::observation_groups(sampled(mt::PeriodInterval::Day), g, errors);
  ASSERT_EQ(days.size(), 1u);
  EXPECT_EQ(mt::format_timestamp(days[0].end_us), "2021-01-01T23:59:59.999999Z");
  auto instants = mt::observation_groups(sampled(mt::PeriodInterval::Instant), g, errors);
  EXPECT_EQ(instants.size(), 3u);
  EXPECT_TRUE(errors.empty());
}

TEST(Grouping, SameTimeKeepsTheLaterIngested) {
  std::vector<mt::Measurement> ms{m("hr", "d", "2021-01-01T10:00:00Z", "first"), m("hr", "d", "2021-01-01T10:00:00Z", "second")};
  std::vector<mt::PipelineError> errors;
  auto g = mt::observation_groups(sampled(mt::PeriodInterval::Hour), mt::group_measurements(ms)[0], errors);
  ASSERT_EQ(g.size(), 1u);
  ASSERT_EQ(g[0].values.at("v").size(), 1u);
  EXPECT_EQ(g[0].values.at("v")[0].value, "second");
}

TEST(Grouping, CorrelationWindowFromFirstToLast) {
  std::vector<mt::Measurement> ms{m("hr", "d", "2021-01-01T10:00:05Z", "b", "s"), m("hr", "d", "2021-01-01T09:59:00Z", "a", "s"),
                                  m("hr", "d", "2021-01-02T10:00:00Z", "c", "s")};
  std::vector<mt::PipelineError> errors;
  auto g = mt::observation_groups(sampled(mt::PeriodInterval::Correlation), mt::group_measurements(ms)[0], errors);
  ASSERT_EQ(g.size(), 1u);
  EXPECT_EQ(mt::format_timestamp(g[0].start_us), "2021-01-01T09:59:00Z");
  EXPECT_EQ(mt::format_timestamp(g[0].end_us), "2021-01-02T10:00:00Z");
  EXPECT_EQ(g[0].correlation_id, "s");
  EXPECT_EQ(g[0].values.at("v").front().value, "a");
}

TEST(Grouping, NonSampledValuesOneGroupPerMeasurement) {
  auto t = sampled(mt::PeriodInterval::Hour);
  t.value->kind = mt::ValueKind::Quantity;
  std::vector<mt::Measurement> ms{m("hr", "d", "2021-01-01T10:00:00Z", "1"), m("hr", "d", "2021-01-01T10:01:00Z", "2")};
  std::vector<mt::PipelineError> errors;
  auto g = mt::observation_groups(t, mt::group_measurements(ms)[0], errors);
  ASSERT_EQ(g.size(), 2u);
  EXPECT_EQ(g[0].start_us, g[0].end_us);
}
