#include "common/request.h"

#include <gtest/gtest.h>

#include "common/ids.h"
#include "common/metrics.h"
#include "common/outcome.h"

using namespace healthd;

TEST(Request, SplitsPathsAndDecodesQueries) {
  EXPECT_EQ(split_path("/a//b/c/"), (std::vector<std::string>{"a", "b", "c"}));
  auto q = parse_query("name=J%C3%BCrgen&given=a+b&flag&x=%2");
  ASSERT_EQ(q.size(), 4u);
  EXPECT_EQ(q[0].second, "J\xC3\xBCrgen");
  EXPECT_EQ(q[1].second, "a b");
  EXPECT_EQ(q[2].first, "flag");
  EXPECT_EQ(q[3].second, "%2");  // malformed escapes are kept as they are
  EXPECT_EQ(percent_decode("a+b"), "a+b");
  EXPECT_EQ(percent_encode("a b/c"), "a%20b%2Fc");
}

TEST(Request, HeadersAreCaseInsensitive) {
  Headers h;
  h.add("Content-Type", "a");
  EXPECT_EQ(h.get("content-type"), "a");
  h.set("CONTENT-TYPE", "b");
  EXPECT_EQ(h.entries().size(), 1u);
  EXPECT_EQ(h.get("Content-Type"), "b");
  h.remove("content-type");
  EXPECT_FALSE(h.has("Content-Type"));
}

TEST(Ids, UuidsAreVersion4AndUnique) {
  std::string a = new_uuid(), b = new_uuid();
  EXPECT_EQ(a.size(), 36u);
  EXPECT_EQ(a[14], '4');
  EXPECT_TRUE(a[19] == '8' || a[19] == '9' || a[19] == 'a' || a[19] == 'b');
  EXPECT_NE(a, b);
  EXPECT_TRUE(is_valid_fhir_id(a));
}

TEST(Ids, FhirIdRule) {
  EXPECT_TRUE(is_valid_fhir_id("abc-DEF.123"));
  EXPECT_FALSE(is_valid_fhir_id(""));
  EXPECT_FALSE(is_valid_fhir_id("a_b"));
  EXPECT_FALSE(is_valid_fhir_id(std::string(65, 'a')));
  EXPECT_TRUE(is_valid_fhir_id(std::string(64, 'a')));
}

TEST(Outcome, ErrorResponseIsAnOperationOutcome) {
  Response r = outcome_response(404, "not-found", "gone \"quoted\"", "Patient.id");
  EXPECT_EQ(r.status, 404);
  EXPECT_EQ(r.headers.get("Content-Type"), "application/fhir+json; charset=utf-8");
  EXPECT_EQ(r.body,
            R"({"resourceType":"OperationOutcome","issue":[{"severity":"error","code":"not-found",)"
            R"("diagnostics":"gone \"quoted\"","expression":["Patient.id"]}]})");
}

TEST(Metrics, RendersPrometheusText) {
  metrics::counter("test_requests_total", "Requests.", {{"route", "a\"b"}}).inc(2);
  auto& h = metrics::histogram("test_latency_seconds", "Latency.", {}, {0.1, 1});
  h.observe(0.05);
  h.observe(0.5);
  h.observe(5);
  metrics::gauge("test_depth", "Depth.", {}, [] { return 7.0; });
  std::string text = metrics::render_prometheus();
  EXPECT_NE(text.find("# TYPE test_requests_total counter"), std::string::npos);
  EXPECT_NE(text.find("test_requests_total{route=\"a\\\"b\"} 2"), std::string::npos);
  EXPECT_NE(text.find("test_latency_seconds_bucket{le=\"0.10000000000000001\"} 1"), std::string::npos);
  EXPECT_NE(text.find("test_latency_seconds_bucket{le=\"+Inf\"} 3"), std::string::npos);
  EXPECT_NE(text.find("test_latency_seconds_count 3"), std::string::npos);
  EXPECT_NE(text.find("test_depth 7"), std::string::npos);
}
