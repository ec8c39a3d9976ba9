// The blocking HTTP client against a Server started in the test, over http and https.
#include "http/client.h"

#include <gtest/gtest.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <thread>

#include "http/server.h"
#include "tls_test_util.h"

namespace healthd::http {
namespace {

using testing::CertFiles;
using testing::TempDir;

Response route(Request& req) {
  Response r;
  r.headers.set("Content-Type", "text/plain");
  if (req.path == "/redirect") {
    r.status = 302;
    r.headers.set("Location", "/elsewhere");
  } else if (req.path == "/huge") {
    r.body.assign(kMaxClientResponseBytes + 1, 'x');
  } else if (req.path == "/slow") {
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));
  } else if (req.path == "/missing") {
    r.status = 404;
    r.body = "nope";
  } else {
    r.headers.set("X-Seen-Auth", std::string(req.headers.get("Authorization").value_or("")));
    r.headers.set("X-Seen-Type", std::string(req.headers.get("Content-Type").value_or("")));
    r.headers.set("X-Seen-Ip", req.client_ip);
    r.body = req.method + " " + req.path + " " + std::string(req.param("q").value_or("")) + " " + req.body;
  }
  return r;
}

class ClientTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { spdlog::set_level(spdlog::level::warn); }

  void start(bool tls, const CertFiles& files = {}) {
    ServerOptions o;
    o.port = 0;
    o.workers = 4;
    o.shutdown_grace_s = 2;
    if (tls) {
      o.tls_cert_file = files.cert;
      o.tls_key_file = files.key;
    }
    server_ = std::make_unique<Server>(o, route);
    server_->start();
  }
  std::string url(const std::string& scheme, const std::string& target, const std::string& host = "127.0.0.1") const {
    return scheme + "://" + host + ":" + std::to_string(server_->port()) + target;
  }

  TempDir dir_;
  std::unique_ptr<Server> server_;
};

TEST_F(ClientTest, GetOverHttpWithHeadersAndQuery) {
  start(false);
  Headers h;
  h.set("Authorization", "Bearer t");
  HttpResult r = http_get(url("http", "/path?q=1"), 5000, h);
  EXPECT_EQ(r.error, "");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "GET /path 1 ");
  EXPECT_EQ(r.headers.get("X-Seen-Auth").value_or(""), "Bearer t");
  EXPECT_TRUE(r.headers.has("X-Request-Id"));
  EXPECT_EQ(r.headers.get("X-Seen-Ip").value_or(""), "127.0.0.1");
}

TEST_F(ClientTest, PostFormSetsContentType) {
  start(false);
  HttpResult r = http_post_form(url("http", "/token"), "grant_type=client_credentials&a=b");
  EXPECT_EQ(r.error, "");
  EXPECT_EQ(r.body, "POST /token  grant_type=client_credentials&a=b");
  EXPECT_EQ(r.headers.get("X-Seen-Type").value_or(""), "application/x-www-form-urlencoded");
}

TEST_F(ClientTest, StatusesAreResultsAndRedirectsAreNotFollowed) {
  start(false);
  HttpResult missing = http_get(url("http", "/missing"));
  EXPECT_EQ(missing.error, "");
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(missing.body, "nope");
  HttpResult redirect = http_get(url("http", "/redirect"));
  EXPECT_EQ(redirect.status, 302);
  EXPECT_EQ(redirect.headers.get("Location").value_or(""), "/elsewhere");
}

TEST_F(ClientTest, RefusesResponsesOver4Mb) {
  start(false);
  HttpResult r = http_get(url("http", "/huge"));
  EXPECT_EQ(r.status, 0);
  EXPECT_NE(r.error.find("exceeds"), std::string::npos) << r.error;
  EXPECT_TRUE(r.body.empty()) << r.body.size();
}

TEST_F(ClientTest, TimesOut) {
  start(false);
  auto begin = std::chrono::steady_clock::now();
  HttpResult r = http_get(url("http", "/slow"), 300);
  EXPECT_LT(std::chrono::steady_clock::now() - begin, std::chrono::milliseconds(1200));
  EXPECT_EQ(r.status, 0);
  EXPECT_NE(r.error.find("timed out"), std::string::npos) << r.error;
}

TEST_F(ClientTest, ErrorsInsteadOfExceptions) {
  EXPECT_NE(http_get("ftp://example.org/").error, "");
  EXPECT_NE(http_get("http://user@127.0.0.1/").error, "");
  EXPECT_NE(http_get("http://127.0.0.1:notaport/").error, "");
  EXPECT_NE(http_get("http://[::1/").error, "");
  HttpResult refused = http_get("http://127.0.0.1:1/");  // nothing listens on port 1
  EXPECT_NE(refused.error.find("cannot connect"), std::string::npos) << refused.error;
}

TEST_F(ClientTest, HttpsWithCaFile) {
  CertFiles files = testing::make_self_signed(dir_.path);
  start(true, files);
  HttpResult r = http_get(url("https", "/secure?q=2"), 5000, {}, files.cert);
  EXPECT_EQ(r.error, "");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "GET /secure 2 ");
  HttpResult by_name = http_post_form(url("https", "/form", "localhost"), "x=1", {}, 5000, files.cert);
  EXPECT_EQ(by_name.error, "");
  EXPECT_EQ(by_name.body, "POST /form  x=1");
}

TEST_F(ClientTest, HttpsVerifiesThePeer) {
  CertFiles files = testing::make_self_signed(dir_.path);
  start(true, files);
  HttpResult untrusted = http_get(url("https", "/"));  // system CA store: self-signed is unknown
  EXPECT_EQ(untrusted.status, 0);
  EXPECT_NE(untrusted.error.find("self-signed"), std::string::npos) << untrusted.error;

  CertFiles other = testing::make_self_signed(dir_.path, "other", "DNS:example.org");
  HttpResult wrong_ca = http_get(url("https", "/"), 5000, {}, other.cert);
  EXPECT_EQ(wrong_ca.status, 0);
  EXPECT_NE(wrong_ca.error, "");

  HttpResult missing_ca = http_get(url("https", "/"), 5000, {}, dir_.path + "/none.pem");
  EXPECT_NE(missing_ca.error.find("CA file"), std::string::npos) << missing_ca.error;
}

TEST_F(ClientTest, HttpsChecksTheName) {
  CertFiles files = testing::make_self_signed(dir_.path, "named", "DNS:example.org");
  start(true, files);
  HttpResult r = http_get(url("https", "/"), 5000, {}, files.cert);  // trusted, but not for 127.0.0.1
  EXPECT_EQ(r.status, 0);
  EXPECT_NE(r.error.find("mismatch"), std::string::npos) << r.error;
}

}  // namespace
}  // namespace healthd::http
