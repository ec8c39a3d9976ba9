#include "http/access_log.h"

#include <gtest/gtest.h>

#include <regex>
#include <set>

#include "common/metrics.h"

namespace healthd::http {
namespace {

TEST(AccessLogTest, SanitizeRequestId) {
  EXPECT_EQ(sanitize_request_id("abc-DEF_1.2:3"), "abc-DEF_1.2:3");
  EXPECT_EQ(sanitize_request_id("a b\r\nc<script>"), "abcscript");
  EXPECT_EQ(sanitize_request_id(std::string(200, 'x')), std::string(128, 'x'));
  EXPECT_EQ(sanitize_request_id("\"\"//"), "");
}

TEST(AccessLogTest, NewRequestIdIsUuidV4) {
  const std::regex uuid("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}");
  std::set<std::string> seen;
  for (int i = 0; i < 1000; ++i) {
    std::string id = new_request_id();
    ASSERT_TRUE(std::regex_match(id, uuid)) << id;
    seen.insert(id);
  }
  EXPECT_EQ(seen.size(), 1000u);
}

TEST(AccessLogTest, RecordAccessCountsByServiceRouteStatus) {
  AccessRecord r;
  r.method = "GET";
  r.path = "/x\n";
  r.service = "log-test";
  r.route = "r1";
  r.request_id = "id";
  r.status = 404;
  r.seconds = 0.002;
  record_access(r);
  record_access(r);
  EXPECT_EQ(metrics::counter("healthd_http_requests_total", "", {{"service", "log-test"}, {"route", "r1"}, {"status", "404"}})
                .value(),
            2.0);
  std::vector<uint64_t> buckets;
  double sum;
  uint64_t count;
  metrics::histogram("healthd_http_request_duration_seconds", "", {{"service", "log-test"}, {"route", "r1"}})
      .snapshot(buckets, sum, count);
  EXPECT_EQ(count, 2u);
  EXPECT_NEAR(sum, 0.004, 1e-9);
}

TEST(AccessLogTest, RecordRejection) {
  auto& c = metrics::counter("healthd_http_rejected_total", "", {{"reason", "too_large"}});
  double before = c.value();
  record_rejection(Rejection::too_large);
  EXPECT_EQ(c.value(), before + 1);
}

}  // namespace
}  // namespace healthd::http
