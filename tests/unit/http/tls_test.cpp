// HTTPS: the server's behaviour over TLS matches plain HTTP; bad certificate files fail start().
#include <gtest/gtest.h>
#include <openssl/ssl.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <fstream>
#include <thread>

#include "http/server.h"
#include "test_client.h"
#include "tls_test_util.h"

namespace healthd::http {
namespace {

using testing::CertFiles;
using testing::TempDir;
using testing::TlsTestClient;

std::string get(const std::string& target, const std::string& extra = "") {
  return "GET " + target + " HTTP/1.1\r\nHost: localhost:1234\r\n" + extra + "\r\n";
}

class TlsServerTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { spdlog::set_level(spdlog::level::warn); }

  void SetUp() override { files_ = testing::make_self_signed(dir_.path); }

  ServerOptions options() const {
    ServerOptions o;
    o.port = 0;
    o.workers = 4;
    o.shutdown_grace_s = 5;
    o.tls_cert_file = files_.cert;
    o.tls_key_file = files_.key;
    return o;
  }

  void start(ServerOptions o, Handler h, FastHandler f = {}) {
    server_ = std::make_unique<Server>(std::move(o), std::move(h), std::move(f));
    server_->start();
    ASSERT_NE(server_->port(), 0);
  }

  static Response echo(Request& req) {
    Response r;
    r.headers.set("Content-Type", "text/plain");
    if (req.path == "/big")
      r.body.assign(5000, 'x');
    else
      r.body = req.method + " " + req.path + " " + req.origin + " " + req.client_ip + " " + req.body;
    return r;
  }

  TempDir dir_;
  CertFiles files_;
  std::unique_ptr<Server> server_;
};

TEST_F(TlsServerTest, KeepAliveOriginRequestIdAndGzipOverTls) {
  start(options(), echo);
  TlsTestClient client(server_->port());
  ASSERT_TRUE(client.connected());
  EXPECT_TRUE(client.protocol() == "TLSv1.3" || client.protocol() == "TLSv1.2") << client.protocol();

  ASSERT_TRUE(client.send(get("/a", "X-Request-Id: abc-123\r\n")));
  auto first = client.read_response();
  ASSERT_TRUE(first);
  EXPECT_EQ(first->status, 200);
  EXPECT_EQ(first->header("x-request-id"), "abc-123");
  EXPECT_EQ(first->body, "GET /a https://localhost:1234 127.0.0.1 ");

  ASSERT_TRUE(client.send(get("/big", "Accept-Encoding: gzip\r\n")));  // same connection
  auto second = client.read_response();
  ASSERT_TRUE(second);
  EXPECT_EQ(second->status, 200);
  EXPECT_EQ(second->header("content-encoding"), "gzip");
  EXPECT_LT(second->body.size(), 5000u);

  std::string post = "POST /p HTTP/1.1\r\nHost: localhost\r\nContent-Length: 5\r\n\r\nhello";
  ASSERT_TRUE(client.send(post + post));  // pipelined
  auto third = client.read_response();
  auto fourth = client.read_response();
  ASSERT_TRUE(third && fourth);
  EXPECT_EQ(fourth->body.substr(0, 7), "POST /p");
  EXPECT_EQ(fourth->body.substr(fourth->body.size() - 5), "hello");
}

TEST_F(TlsServerTest, OriginWithoutHostUsesLocalAddress) {
  start(options(), echo);
  TlsTestClient client(server_->port());
  ASSERT_TRUE(client.send("GET /x HTTP/1.0\r\n\r\n"));
  auto r = client.read_response();
  ASSERT_TRUE(r);
  EXPECT_NE(r->body.find("https://127.0.0.1:" + std::to_string(server_->port())), std::string::npos) << r->body;
}

TEST_F(TlsServerTest, FastHandlerAndLimitsOverTls) {
  auto o = options();
  o.max_body_bytes = 10;
  start(o, echo, [](Request& req) -> std::optional<Response> {
    if (req.path != "/fast") return std::nullopt;
    Response r;
    r.body = "fast";
    return r;
  });
  {
    TlsTestClient client(server_->port());
    ASSERT_TRUE(client.send(get("/fast")));
    auto r = client.read_response();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->body, "fast");
  }
  TlsTestClient client(server_->port());
  ASSERT_TRUE(client.send("POST /p HTTP/1.1\r\nHost: h\r\nContent-Length: 100\r\n\r\n" + std::string(100, 'a')));
  auto r = client.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 413);
  EXPECT_EQ(r->header("connection"), "close");
  EXPECT_TRUE(client.closed_by_peer());
}

TEST_F(TlsServerTest, ConnectionCloseEndsTheTlsSession) {
  start(options(), echo);
  TlsTestClient client(server_->port());
  ASSERT_TRUE(client.send(get("/a", "Connection: close\r\n")));
  auto r = client.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->header("connection"), "close");
  EXPECT_TRUE(client.closed_by_peer());
}

TEST_F(TlsServerTest, RefusesTls11AndPlainHttp) {
  start(options(), echo);
  TlsTestClient old(server_->port(), TLS1_1_VERSION);
  EXPECT_FALSE(old.connected());

  testing::TestClient plain(server_->port(), 2000);
  ASSERT_TRUE(plain.connected());
  ASSERT_TRUE(plain.send(testing::get_request("/a")));
  EXPECT_FALSE(plain.read_response());

  TlsTestClient fine(server_->port());  // the server is still serving
  ASSERT_TRUE(fine.send(get("/a")));
  EXPECT_TRUE(fine.read_response());
}

TEST_F(TlsServerTest, StopLetsInFlightTlsRequestFinish) {
  start(options(), [](Request&) {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    Response r;
    r.body = "done";
    return r;
  });
  TlsTestClient client(server_->port());
  ASSERT_TRUE(client.send(get("/slow")));
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  std::thread stopper([&] { server_->stop(); });
  auto r = client.read_response();
  stopper.join();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->body, "done");
  EXPECT_EQ(r->header("connection"), "close");
}

TEST_F(TlsServerTest, StartFailsClearlyOnBadFiles) {
  auto expect_failure = [&](ServerOptions o, const std::string& fragment) {
    Server server(o, echo);
    try {
      server.start();
      ADD_FAILURE() << "start() succeeded, expected: " << fragment;
    } catch (const std::runtime_error& e) {
      EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << e.what();
    }
  };
  auto o = options();
  o.tls_cert_file = dir_.path + "/missing.crt";
  expect_failure(o, "missing.crt' cannot be read");

  o = options();
  o.tls_key_file.clear();
  expect_failure(o, "both a certificate file and a key file");

  std::ofstream(dir_.path + "/garbage.pem") << "not a certificate\n";
  o = options();
  o.tls_cert_file = dir_.path + "/garbage.pem";
  expect_failure(o, "not a usable PEM certificate");

  o = options();
  o.tls_key_file = dir_.path + "/garbage.pem";
  expect_failure(o, "PEM private key");

  auto other = testing::make_self_signed(dir_.path, "other");
  o = options();
  o.tls_key_file = other.key;
  expect_failure(o, "does not match");
}

}  // namespace
}  // namespace healthd::http
