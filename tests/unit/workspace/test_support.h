// Helpers for the workspace unit tests: temp data dirs, requests, a Platform fixture.
#pragma once

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>

#include "auth/signing_keys.h"
#include "common/request.h"
#include "common/time.h"
#include "fhir/definitions.h"
#include "json/json.h"
#include "workspace/config.h"
#include "workspace/platform.h"

namespace healthd::workspace::test {

// A fresh directory under /tmp, removed with everything in it.
class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "healthd-ws-XXXXXX").string();
    if (!::mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
    path_ = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

inline Request make_request(std::string method, std::string path, std::string body = {}) {
  Request r;
  r.method = std::move(method);
  r.path = std::move(path);
  r.body = std::move(body);
  r.origin = "http://localhost:8080";
  return r;
}

inline json::Document parse_body(const Response& r) {
  json::Document doc;
  std::string error;
  EXPECT_TRUE(json::parse(r.body, doc, &error)) << error << " in: " << r.body;
  return doc;
}

// The diagnostics of the first issue of an OperationOutcome body.
inline std::string diagnostics(const Response& r) {
  json::Document doc = parse_body(r);
  if (!doc.IsObject() || !doc.HasMember("issue")) return "";
  const auto& issue = doc["issue"][0];
  return issue.HasMember("diagnostics") ? issue["diagnostics"].GetString() : "";
}

inline std::string issue_code(const Response& r) {
  json::Document doc = parse_body(r);
  if (!doc.IsObject() || !doc.HasMember("issue")) return "";
  return doc["issue"][0]["code"].GetString();
}

// The R4 definitions, loaded once for the whole test binary.
inline std::shared_ptr<const fhir::Definitions> shared_definitions() {
  static auto defs = fhir::Definitions::load(HEALTHD_DEFINITIONS_DIR);
  return defs;
}

// A Platform on a temp data dir; restart() opens a new Platform on the same dir.
class PlatformTest : public ::testing::Test {
 protected:
  void SetUp() override { start(default_config()); }
  void TearDown() override {
    if (platform) platform->close();
  }

  void start(PlatformConfig config) {
    if (platform) platform->close();
    platform.reset();
    config.data_dir = data.path();
    platform = std::make_unique<Platform>(std::move(config), shared_definitions());
    platform->open();
  }

  // A token from the platform's own issuer: every built-in role plus the administrator role,
  // for every audience of the platform (as `healthd token` makes it).
  std::string admin_token() {
    json::Document claims(rapidjson::kObjectType);
    auto& a = claims.GetAllocator();
    int64_t now = now_us() / 1000000;
    claims.AddMember("iss", json::str(platform->security().issuer(), a), a);
    claims.AddMember("sub", "unit-test", a);
    json::Value aud(rapidjson::kArrayType);
    for (const auto& x : platform->audiences()) aud.PushBack(json::str(x, a), a);
    claims.AddMember("aud", aud, a);
    claims.AddMember("iat", now, a);
    claims.AddMember("exp", now + 600, a);
    json::Value roles(rapidjson::kArrayType);
    roles.PushBack("FHIR Data Contributor", a).PushBack("healthd Administrator", a);
    claims.AddMember("roles", roles, a);
    return auth::SigningKeys::open(data.path())->sign(json::to_string(claims));
  }

  // Hands a prepared request to the platform with an administrator token (unless it has one).
  Response handle_as_admin(Request& r) {
    if (!r.headers.has("Authorization")) r.headers.set("Authorization", "Bearer " + admin_token());
    return platform->handle(r);
  }

  // Calls the platform as an administrator (tests of what happens without a token build their own request).
  Response call(const std::string& method, const std::string& path, const std::string& body = {}) {
    Request r = make_request(method, path, body);
    r.headers.set("Authorization", "Bearer " + admin_token());
    return platform->handle(r);
  }

  std::string data_path(const std::string& rel) const { return (std::filesystem::path(data.path()) / rel).string(); }

  TempDir data;
  std::unique_ptr<Platform> platform;
};

}  // namespace healthd::workspace::test
