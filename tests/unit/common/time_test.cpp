#include "common/time.h"

#include <gtest/gtest.h>

using namespace healthd;

TEST(Time, FormatsInstantWithMilliseconds) {
  EXPECT_EQ(format_instant(0), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(format_instant(1'700'000'000'123'456), "2023-11-14T22:13:20.123Z");
}

TEST(Time, HttpDateRoundTrips) {
  int64_t us = 1'700'000'000'000'000;
  std::string text = format_http_date(us);
  EXPECT_EQ(text, "Tue, 14 Nov 2023 22:13:20 GMT");
  EXPECT_EQ(parse_http_date(text), us);
  EXPECT_FALSE(parse_http_date("yesterday"));
  EXPECT_FALSE(parse_http_date("Tue, 14 Foo 2023 22:13:20 GMT"));
}

TEST(Time, RangesFollowPrecision) {
  auto year = parse_fhir_datetime_range("2023");
  ASSERT_TRUE(year);
  EXPECT_EQ(year->start_us, parse_fhir_datetime_range("2023-01-01")->start_us);
  EXPECT_EQ(year->end_us, parse_fhir_datetime_range("2024-01-01")->start_us);

  auto month = parse_fhir_datetime_range("2024-02");
  EXPECT_EQ(month->end_us - month->start_us, 29LL * 86400 * 1000000);  // leap year

  auto sec = parse_fhir_datetime_range("2023-11-14T22:13:20Z");
  EXPECT_EQ(sec->start_us, 1'700'000'000'000'000);
  EXPECT_EQ(sec->end_us - sec->start_us, 1'000'000);

  auto ms = parse_fhir_datetime_range("2023-11-14T22:13:20.123Z");
  EXPECT_EQ(ms->start_us, 1'700'000'000'123'000);
  EXPECT_EQ(ms->end_us - ms->start_us, 1000);

  auto offset = parse_fhir_datetime_range("2023-11-14T23:13:20+01:00");
  EXPECT_EQ(offset->start_us, 1'700'000'000'000'000);
}

TEST(Time, RejectsInvalidDates) {
  for (const char* bad : {"", "20", "2023-13", "2023-02-30", "2023-01-01T25:00:00Z", "2023-01-01T10:00:00X",
                          "2023-01-01 10:00", "2023-01-01T10:00:00.Z", "abcd"}) {
    EXPECT_FALSE(parse_fhir_datetime_range(bad)) << bad;
  }
}
