#include <gtest/gtest.h>

#include "medtech/timestamp.h"

namespace mt = healthd::medtech;

TEST(Timestamp, ParsesDeviceFormats) {
  const int64_t base = 1549061161LL * 1000000;  // 2019-02-01T22:46:01Z
  EXPECT_EQ(mt::parse_timestamp("2019-02-01T22:46:01Z"), base);
  EXPECT_EQ(mt::parse_timestamp("2019-02-01T22:46:01.8750000Z"), base + 875000);
  EXPECT_EQ(mt::parse_timestamp("2019-02-01T22:46:01.87500019Z"), base + 875000);  // beyond µs: truncated
  EXPECT_EQ(mt::parse_timestamp("2019-02-01T23:46:01+01:00"), base);
  EXPECT_EQ(mt::parse_timestamp("2019-02-01T23:46:01+0100"), base);
  EXPECT_EQ(mt::parse_timestamp("2019-02-01T21:46:01-01"), base);
  EXPECT_EQ(mt::parse_timestamp("2019-02-01T22:46:01+0"), base);  // fromUnixTimestamp's form
  EXPECT_EQ(mt::parse_timestamp("2019-02-01 22:46:01"), base);    // no offset: UTC
  EXPECT_EQ(mt::parse_timestamp("2019-02-01T22:46Z"), base - 1000000);
  EXPECT_EQ(mt::parse_timestamp("2019-02-01"), base - (22 * 3600 + 46 * 60 + 1) * 1000000LL);
  EXPECT_EQ(mt::parse_timestamp("1969-12-31T23:59:59.5Z"), -500000);
}

TEST(Timestamp, RejectsOthers) {
  for (const char* s : {"", "yesterday", "2019-02-30T00:00:00Z", "2019-02-01T24:46:01Z", "2019-02-01T22:46:01X",
                        "1549061161", "2019-02-01T22:46:01.Z", "2019-02-01T22:46:01+25:00"})
    EXPECT_FALSE(mt::parse_timestamp(s)) << s;
}

TEST(Timestamp, Formats) {
  EXPECT_EQ(mt::format_timestamp(1549061161LL * 1000000), "2019-02-01T22:46:01Z");
  EXPECT_EQ(mt::format_timestamp(1549061161LL * 1000000 + 875000), "2019-02-01T22:46:01.875Z");
  EXPECT_EQ(mt::format_timestamp(1549061161LL * 1000000 + 607374), "2019-02-01T22:46:01.607374Z");
  EXPECT_EQ(mt::format_timestamp(-500000), "1969-12-31T23:59:59.500Z");
  EXPECT_EQ(mt::format_identifier_time(1549061161LL * 1000000 + 999999), "20190201224601Z");
}
