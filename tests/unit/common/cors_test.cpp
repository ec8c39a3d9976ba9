#include "common/cors.h"

#include <gtest/gtest.h>

namespace healthd {
namespace {

Request preflight(std::string origin, std::string method, std::string headers = "") {
  Request req;
  req.method = "OPTIONS";
  req.path = "/Patient";
  req.headers.set("Origin", std::move(origin));
  req.headers.set("Access-Control-Request-Method", std::move(method));
  if (!headers.empty()) req.headers.set("Access-Control-Request-Headers", std::move(headers));
  return req;
}

Request actual(std::string origin) {
  Request req;
  req.method = "GET";
  req.path = "/Patient";
  if (!origin.empty()) req.headers.set("Origin", std::move(origin));
  return req;
}

std::string header(const Response& res, const char* name) { return std::string(res.headers.get(name).value_or("")); }

CorsPolicy app_policy() {
  CorsPolicy p;
  p.origins = {"https://app.example.org/"};
  p.headers = {"Authorization", "Content-Type", "Prefer"};
  p.methods = {"GET", "POST", "PUT", "DELETE"};
  p.max_age_s = 600;
  p.allow_credentials = true;
  return p;
}

TEST(CorsTest, DisabledPolicyDoesNothing) {
  CorsPolicy off;
  EXPECT_FALSE(off.enabled());
  EXPECT_FALSE(cors_preflight(off, preflight("https://a", "GET")));
  Response res;
  cors_apply(off, actual("https://a"), res);
  EXPECT_TRUE(res.headers.entries().empty());
}

TEST(CorsTest, NotAPreflight) {
  auto p = app_policy();
  Request options = actual("https://app.example.org");
  options.method = "OPTIONS";  // no Access-Control-Request-Method: a plain OPTIONS (capabilities)
  EXPECT_FALSE(cors_preflight(p, options));
  EXPECT_FALSE(cors_preflight(p, actual("https://app.example.org")));
}

TEST(CorsTest, AllowedPreflightGetsFull204) {
  auto res = cors_preflight(app_policy(), preflight("https://app.example.org", "PUT", "authorization, content-type"));
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 204);
  EXPECT_EQ(header(*res, "Access-Control-Allow-Origin"), "https://app.example.org");
  EXPECT_EQ(header(*res, "Access-Control-Allow-Credentials"), "true");
  EXPECT_EQ(header(*res, "Access-Control-Allow-Methods"), "GET, POST, PUT, DELETE");
  EXPECT_EQ(header(*res, "Access-Control-Allow-Headers"), "Authorization, Content-Type, Prefer");
  EXPECT_EQ(header(*res, "Access-Control-Max-Age"), "600");
  EXPECT_NE(header(*res, "Vary").find("Origin"), std::string::npos);
  EXPECT_TRUE(res->body.empty());
}

TEST(CorsTest, RefusedPreflightsAre403Outcomes) {
  auto p = app_policy();
  auto bad_origin = cors_preflight(p, preflight("https://evil.example", "GET"));
  ASSERT_TRUE(bad_origin);
  EXPECT_EQ(bad_origin->status, 403);
  EXPECT_NE(bad_origin->body.find("OperationOutcome"), std::string::npos);
  EXPECT_FALSE(bad_origin->headers.has("Access-Control-Allow-Origin"));

  auto bad_method = cors_preflight(p, preflight("https://app.example.org", "PATCH"));
  ASSERT_TRUE(bad_method);
  EXPECT_EQ(bad_method->status, 403);
  EXPECT_NE(bad_method->body.find("PATCH"), std::string::npos);

  auto bad_header = cors_preflight(p, preflight("https://app.example.org", "GET", "X-Secret"));
  ASSERT_TRUE(bad_header);
  EXPECT_EQ(bad_header->status, 403);
}

TEST(CorsTest, WildcardsWithoutCredentials) {
  CorsPolicy p;
  p.origins = {"*"};
  p.headers = {"*"};
  p.methods = {"*"};
  auto res = cors_preflight(p, preflight("https://any.example", "PATCH", "Authorization, X-Custom"));
  ASSERT_TRUE(res);
  EXPECT_EQ(header(*res, "Access-Control-Allow-Origin"), "*");
  // "*" would not cover Authorization: the requested names are echoed.
  EXPECT_EQ(header(*res, "Access-Control-Allow-Methods"), "PATCH");
  EXPECT_EQ(header(*res, "Access-Control-Allow-Headers"), "Authorization, X-Custom");
  EXPECT_FALSE(res->headers.has("Access-Control-Allow-Credentials"));
  EXPECT_FALSE(res->headers.has("Access-Control-Max-Age"));

  Response ok;
  cors_apply(p, actual("https://any.example"), ok);
  EXPECT_EQ(header(ok, "Access-Control-Allow-Origin"), "*");
  EXPECT_FALSE(ok.headers.has("Vary"));  // the same answer for every origin
}

TEST(CorsTest, WildcardWithCredentialsEchoesTheOrigin) {
  CorsPolicy p;
  p.origins = {"*"};
  p.allow_credentials = true;
  Response res;
  cors_apply(p, actual("https://any.example"), res);
  EXPECT_EQ(header(res, "Access-Control-Allow-Origin"), "https://any.example");
  EXPECT_EQ(header(res, "Access-Control-Allow-Credentials"), "true");
  EXPECT_EQ(header(res, "Vary"), "Origin");

  Response null_origin;
  cors_apply(p, actual("null"), null_origin);
  EXPECT_FALSE(null_origin.headers.has("Access-Control-Allow-Origin"));
}

TEST(CorsTest, EmptyMethodListAllowsOnlySafelistedMethods) {
  CorsPolicy p;
  p.origins = {"https://a.example"};
  EXPECT_EQ(cors_preflight(p, preflight("https://a.example", "POST"))->status, 204);
  EXPECT_EQ(cors_preflight(p, preflight("https://a.example", "DELETE"))->status, 403);
}

TEST(CorsTest, ApplyOnActualResponses) {
  auto p = app_policy();
  Response res;
  res.headers.set("Vary", "Accept");
  cors_apply(p, actual("https://app.example.org"), res);
  EXPECT_EQ(header(res, "Access-Control-Allow-Origin"), "https://app.example.org");
  EXPECT_EQ(header(res, "Access-Control-Allow-Credentials"), "true");
  EXPECT_EQ(header(res, "Vary"), "Accept, Origin");
  std::string exposed = header(res, "Access-Control-Expose-Headers");
  for (const char* name : {"Location", "ETag", "Content-Location", "Last-Modified", "X-Request-Id", "WWW-Authenticate"})
    EXPECT_NE(exposed.find(name), std::string::npos) << name;

  cors_apply(p, actual("https://app.example.org"), res);  // idempotent Vary
  EXPECT_EQ(header(res, "Vary"), "Accept, Origin");

  for (const char* origin : {"https://evil.example", ""}) {
    Response other;
    cors_apply(p, actual(origin), other);
    EXPECT_FALSE(other.headers.has("Access-Control-Allow-Origin")) << origin;
    EXPECT_FALSE(other.headers.has("Access-Control-Expose-Headers")) << origin;
    EXPECT_EQ(header(other, "Vary"), "Origin") << origin;  // caches must not mix origins
  }
}

}  // namespace
}  // namespace healthd
