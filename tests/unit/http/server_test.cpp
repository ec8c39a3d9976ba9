#include "http/server.h"

#include <gtest/gtest.h>
#include <spdlog/spdlog.h>
#include <zlib.h>

#include <atomic>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <future>
#include <latch>
#include <regex>
#include <thread>

#include "common/metrics.h"
#include "test_client.h"

namespace healthd::http {
namespace {

using testing::get_request;
using testing::TestClient;

std::string gunzip(const std::string& in) {
  z_stream zs{};
  EXPECT_EQ(inflateInit2(&zs, 15 + 16), Z_OK);
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = static_cast<uInt>(in.size());
  std::string out;
  char buf[16384];
  int rc;
  do {
    zs.next_out = reinterpret_cast<Bytef*>(buf);
    zs.avail_out = sizeof buf;
    rc = inflate(&zs, Z_NO_FLUSH);
    out.append(buf, sizeof buf - zs.avail_out);
  } while (rc == Z_OK);
  inflateEnd(&zs);
  EXPECT_EQ(rc, Z_STREAM_END);
  return out;
}

Response text(int status, std::string body) {
  Response r;
  r.status = status;
  r.headers.set("Content-Type", "text/plain");
  r.body = std::move(body);
  return r;
}

ServerOptions test_options() {
  ServerOptions o;
  o.port = 0;
  o.workers = 4;
  o.io_threads = 2;
  o.shutdown_grace_s = 5;
  return o;
}

class ServerTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { spdlog::set_level(spdlog::level::warn); }

  void start(ServerOptions o, Handler h, FastHandler f = {}) {
    server_ = std::make_unique<Server>(std::move(o), std::move(h), std::move(f));
    server_->start();
    ASSERT_NE(server_->port(), 0);
  }
  uint16_t port() const { return server_->port(); }

  std::unique_ptr<Server> server_;
};

TEST_F(ServerTest, GetReturnsHandlerStatusBodyAndStandardHeaders) {
  start(test_options(), [](Request& req) {
    Response r = text(201, "hello " + req.path);
    r.headers.set("X-Custom", "yes");
    return r;
  });
  TestClient c(port());
  ASSERT_TRUE(c.connected());
  ASSERT_TRUE(c.send(get_request("/hello")));
  auto r = c.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 201);
  EXPECT_EQ(r->body, "hello /hello");
  EXPECT_EQ(r->header("content-length"), "12");
  EXPECT_EQ(r->header("content-type"), "text/plain");
  EXPECT_EQ(r->header("x-custom"), "yes");
  EXPECT_EQ(r->header("server"), "healthd");
  EXPECT_TRUE(std::regex_match(r->header("date"),
                               std::regex(R"([A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT)")))
      << r->header("date");
}

TEST_F(ServerTest, BuildsRequestFromTheWire) {
  std::promise<Request> seen;
  start(test_options(), [&](Request& req) {
    seen.set_value(req);
    return text(200, "ok");
  });
  TestClient c(port());
  ASSERT_TRUE(c.send("POST /Patient/a%20b?name=J%C3%B6rg&x=1+2 HTTP/1.1\r\nHost: example.org:8443\r\n"
                     "Content-Type: application/json\r\nContent-Length: 7\r\n\r\n{\"a\":1}"));
  auto r = c.read_response();
  ASSERT_TRUE(r);
  Request req = seen.get_future().get();
  EXPECT_EQ(req.method, "POST");
  EXPECT_EQ(req.path, "/Patient/a b");
  ASSERT_EQ(req.query.size(), 2u);
  EXPECT_EQ(req.query[0], (std::pair<std::string, std::string>{"name", "J\xC3\xB6rg"}));
  EXPECT_EQ(req.query[1], (std::pair<std::string, std::string>{"x", "1 2"}));
  EXPECT_EQ(req.body, "{\"a\":1}");
  EXPECT_EQ(req.headers.get("content-type").value_or(""), "application/json");
  EXPECT_EQ(req.origin, "http://example.org:8443");
  EXPECT_FALSE(req.request_id.empty());
  EXPECT_EQ(req.request_id, r->header("x-request-id"));
}

TEST_F(ServerTest, KeepAliveServesTwoRequestsOnOneSocket) {
  std::atomic<int> calls{0};
  start(test_options(), [&](Request& req) {
    ++calls;
    return text(200, req.path);
  });
  TestClient c(port());
  ASSERT_TRUE(c.send(get_request("/one")));
  auto r1 = c.read_response();
  ASSERT_TRUE(r1);
  EXPECT_EQ(r1->body, "/one");
  EXPECT_EQ(r1->header("connection"), "");
  ASSERT_TRUE(c.send(get_request("/two")));
  auto r2 = c.read_response();
  ASSERT_TRUE(r2);
  EXPECT_EQ(r2->body, "/two");
  EXPECT_EQ(calls.load(), 2);
}

TEST_F(ServerTest, PipelinedRequestsAnsweredInOrder) {
  start(test_options(), [](Request& req) { return text(200, req.path); });
  TestClient c(port());
  ASSERT_TRUE(c.send(get_request("/a") + get_request("/b") + get_request("/c", "Connection: close\r\n")));
  for (const char* path : {"/a", "/b", "/c"}) {
    auto r = c.read_response();
    ASSERT_TRUE(r) << path;
    EXPECT_EQ(r->body, path);
  }
  EXPECT_TRUE(c.closed_by_peer());
}

TEST_F(ServerTest, ConnectionCloseAndHttp10) {
  start(test_options(), [](Request&) { return text(200, "x"); });
  {
    TestClient c(port());
    ASSERT_TRUE(c.send(get_request("/", "Connection: close\r\n")));
    auto r = c.read_response();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->header("connection"), "close");
    EXPECT_TRUE(c.closed_by_peer());
  }
  {
    TestClient c(port());
    ASSERT_TRUE(c.send("GET / HTTP/1.0\r\n\r\n"));
    auto r = c.read_response();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->header("connection"), "close");
    EXPECT_TRUE(c.closed_by_peer());
  }
  {
    TestClient c(port());
    ASSERT_TRUE(c.send("GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"));
    auto r = c.read_response();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->header("connection"), "keep-alive");
    ASSERT_TRUE(c.send("GET / HTTP/1.0\r\n\r\n"));
    EXPECT_TRUE(c.read_response());
  }
}

TEST_F(ServerTest, RequestIdEchoedSanitizedOrGenerated) {
  std::string seen_id;
  std::mutex mu;
  start(test_options(), [&](Request& req) {
    std::lock_guard lock(mu);
    seen_id = req.request_id;
    return text(200, "ok");
  });
  TestClient c(port());
  ASSERT_TRUE(c.send(get_request("/", "X-Request-Id: abc-123_x.y:z\r\n")));
  auto r = c.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->header("x-request-id"), "abc-123_x.y:z");
  {
    std::lock_guard lock(mu);
    EXPECT_EQ(seen_id, "abc-123_x.y:z");
  }

  ASSERT_TRUE(c.send(get_request("/", "X-Request-Id: a<b>c" + std::string(300, 'z') + "\r\n")));
  r = c.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->header("x-request-id"), "abc" + std::string(125, 'z'));

  const std::regex uuid_v4("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}");
  ASSERT_TRUE(c.send(get_request("/")));
  r = c.read_response();
  ASSERT_TRUE(r);
  std::string first = r->header("x-request-id");
  EXPECT_TRUE(std::regex_match(first, uuid_v4)) << first;
  ASSERT_TRUE(c.send(get_request("/", "X-Request-Id: <<>>\r\n")));  // nothing usable survives
  r = c.read_response();
  ASSERT_TRUE(r);
  EXPECT_TRUE(std::regex_match(r->header("x-request-id"), uuid_v4));
  EXPECT_NE(r->header("x-request-id"), first);
}

TEST_F(ServerTest, GzipWhenAcceptedAndLargeEnough) {
  std::string big;
  for (int i = 0; i < 500; ++i) big += "{\"resourceType\":\"Patient\",\"id\":\"" + std::to_string(i) + "\"}\n";
  start(test_options(), [&](Request& req) { return text(200, req.path == "/small" ? "tiny" : big); });
  TestClient c(port());
  ASSERT_TRUE(c.send(get_request("/big", "Accept-Encoding: deflate, gzip;q=0.8\r\n")));
  auto r = c.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->header("content-encoding"), "gzip");
  EXPECT_EQ(r->header("vary"), "Accept-Encoding");
  EXPECT_LT(r->body.size(), big.size());
  EXPECT_EQ(std::stoul(r->header("content-length")), r->body.size());
  EXPECT_EQ(gunzip(r->body), big);

  // Not accepted: identity, still Vary.
  ASSERT_TRUE(c.send(get_request("/big", "Accept-Encoding: gzip;q=0, br\r\n")));
  r = c.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->header("content-encoding"), "");
  EXPECT_EQ(r->header("vary"), "Accept-Encoding");
  EXPECT_EQ(r->body, big);

  // Small bodies are never compressed.
  ASSERT_TRUE(c.send(get_request("/small", "Accept-Encoding: gzip\r\n")));
  r = c.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->header("content-encoding"), "");
  EXPECT_EQ(r->body, "tiny");
}

TEST_F(ServerTest, AlreadyEncodedResponseLeftAlone) {
  start(test_options(), [](Request&) {
    Response r = text(200, std::string(5000, 'x'));
    r.headers.set("Content-Encoding", "identity");
    return r;
  });
  TestClient c(port());
  ASSERT_TRUE(c.send(get_request("/", "Accept-Encoding: gzip\r\n")));
  auto r = c.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->header("content-encoding"), "identity");
  EXPECT_EQ(r->body, std::string(5000, 'x'));
}

TEST_F(ServerTest, HeadSendsHeadersWithGetLength) {
  std::string body(3000, 'h');
  start(test_options(), [&](Request&) { return text(200, body); });
  TestClient c(port());
  ASSERT_TRUE(c.send("HEAD /x HTTP/1.1\r\nHost: t\r\n\r\n"));
  auto r = c.read_response(/*head=*/true);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->header("content-length"), "3000");
  // No body bytes followed: the next response on the socket parses cleanly.
  ASSERT_TRUE(c.send("HEAD /x HTTP/1.1\r\nHost: t\r\nAccept-Encoding: gzip\r\n\r\n"));
  r = c.read_response(true);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->header("content-encoding"), "gzip");
  size_t head_gzip_length = std::stoul(r->header("content-length"));
  ASSERT_TRUE(c.send(get_request("/x", "Accept-Encoding: gzip\r\n")));
  r = c.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->body.size(), head_gzip_length);
  EXPECT_EQ(gunzip(r->body), body);
}

TEST_F(ServerTest, BodyTooLargeIs413) {
  auto o = test_options();
  o.max_body_bytes = 1000;
  std::atomic<int> calls{0};
  start(o, [&](Request&) {
    ++calls;
    return text(200, "ok");
  });
  {
    TestClient c(port());
    ASSERT_TRUE(c.send("POST /x HTTP/1.1\r\nHost: t\r\nContent-Length: 5000\r\n\r\n" + std::string(5000, 'a')));
    auto r = c.read_response();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 413);
    EXPECT_NE(r->body.find("\"too-costly\""), std::string::npos) << r->body;
    EXPECT_NE(r->body.find("OperationOutcome"), std::string::npos);
    EXPECT_EQ(r->header("connection"), "close");
  }
  {  // chunked bodies are limited too
    TestClient c(port());
    std::string chunk(800, 'b');
    ASSERT_TRUE(c.send("POST /x HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n320\r\n" + chunk +
                       "\r\n320\r\n" + chunk + "\r\n0\r\n\r\n"));
    auto r = c.read_response();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 413);
  }
  {  // at the limit is fine
    TestClient c(port());
    ASSERT_TRUE(c.send("POST /x HTTP/1.1\r\nHost: t\r\nContent-Length: 1000\r\n\r\n" + std::string(1000, 'a')));
    auto r = c.read_response();
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, 200);
  }
  EXPECT_EQ(calls.load(), 1);
}

TEST_F(ServerTest, ExpectContinueGetsInterimResponse) {
  start(test_options(), [](Request& req) { return text(200, std::to_string(req.body.size())); });
  TestClient c(port());
  ASSERT_TRUE(c.send("PUT /x HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n"));
  auto interim = c.read_response(/*head=*/true);  // before the body is sent
  ASSERT_TRUE(interim);
  EXPECT_EQ(interim->status, 100);
  ASSERT_TRUE(c.send("abcd"));
  auto r = c.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "4");
}

TEST_F(ServerTest, HugeHeadersAre431) {
  auto o = test_options();
  o.max_header_bytes = 2048;
  start(o, [](Request&) { return text(200, "ok"); });
  TestClient c(port());
  ASSERT_TRUE(c.send(get_request("/", "X-Big: " + std::string(4000, 'q') + "\r\n")));
  auto r = c.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 431);
  EXPECT_EQ(r->header("connection"), "close");
}

TEST_F(ServerTest, MalformedRequestIs400AndCloses) {
  start(test_options(), [](Request&) { return text(200, "ok"); });
  TestClient c(port());
  ASSERT_TRUE(c.send("GET / HTTP/1.1\r\nBad Header Line\r\n\r\n"));
  auto r = c.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400);
  EXPECT_NE(r->body.find("OperationOutcome"), std::string::npos);
  EXPECT_TRUE(c.closed_by_peer());
}

TEST_F(ServerTest, SaturatedPoolAnswers503WithRetryAfter) {
  auto o = test_options();
  o.workers = 1;
  o.max_queue = 0;
  std::latch entered(1), release(1);
  start(o, [&](Request& req) {
    if (req.path == "/block") {
      entered.count_down();
      release.wait();
    }
    return text(200, "done");
  });
  TestClient blocked(port());
  ASSERT_TRUE(blocked.send(get_request("/block")));
  entered.wait();

  TestClient c(port());
  ASSERT_TRUE(c.send(get_request("/other")));
  auto r = c.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 503);
  EXPECT_EQ(r->header("retry-after"), "1");
  EXPECT_NE(r->body.find("\"throttled\""), std::string::npos) << r->body;
  EXPECT_GE(metrics::counter("healthd_http_rejected_total", "", {{"reason", "saturated"}}).value(), 1.0);

  release.count_down();
  auto b = blocked.read_response();
  ASSERT_TRUE(b);
  EXPECT_EQ(b->status, 200);
  // The rejected client's connection stays usable. (The worker counts as busy until just
  // after the blocked response has gone out, so allow a moment.)
  for (int i = 0; i < 100; ++i) {
    ASSERT_TRUE(c.send(get_request("/other")));
    r = c.read_response();
    ASSERT_TRUE(r);
    if (r->status != 503) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  EXPECT_EQ(r->status, 200);
}

TEST_F(ServerTest, ThrowingHandlerIs500AndServerKeepsGoing) {
  start(test_options(), [](Request& req) -> Response {
    if (req.path == "/throw") throw std::runtime_error("boom");
    return text(200, "fine");
  });
  TestClient c(port());
  ASSERT_TRUE(c.send(get_request("/throw")));
  auto r = c.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 500);
  EXPECT_NE(r->body.find("OperationOutcome"), std::string::npos);
  EXPECT_NE(r->body.find("\"exception\""), std::string::npos);
  EXPECT_EQ(r->body.find("boom"), std::string::npos) << "internal detail leaked";
  ASSERT_TRUE(c.send(get_request("/ok")));
  r = c.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
}

TEST_F(ServerTest, FastHandlerAnswersOnIoThreadAndFallsThrough) {
  std::atomic<int> slow_calls{0};
  std::thread::id fast_thread, slow_thread;
  start(
      test_options(),
      [&](Request&) {
        ++slow_calls;
        slow_thread = std::this_thread::get_id();
        return text(200, "slow");
      },
      [&](Request& req) -> std::optional<Response> {
        if (req.path != "/health") return std::nullopt;
        fast_thread = std::this_thread::get_id();
        Response r = text(200, "fast");
        r.route = "health";
        return r;
      });
  TestClient c(port());
  ASSERT_TRUE(c.send(get_request("/health")));
  auto r = c.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->body, "fast");
  EXPECT_EQ(slow_calls.load(), 0);
  EXPECT_FALSE(r->header("x-request-id").empty());
  ASSERT_TRUE(c.send(get_request("/other")));
  r = c.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->body, "slow");
  EXPECT_EQ(slow_calls.load(), 1);
  EXPECT_NE(fast_thread, slow_thread);
}

TEST_F(ServerTest, RecordsRequestMetrics) {
  start(test_options(), [](Request&) {
    Response r = text(202, "m");
    r.service = "ws/fhir/metrics-test";
    r.route = "fhir.read";
    return r;
  });
  TestClient c(port());
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(c.send(get_request("/m")));
    ASSERT_TRUE(c.read_response());
  }
  auto& requests = metrics::counter("healthd_http_requests_total", "",
                                    {{"service", "ws/fhir/metrics-test"}, {"route", "fhir.read"}, {"status", "202"}});
  // Recorded once the write completes, which may be just after the client has read it.
  for (int i = 0; i < 200 && requests.value() < 3.0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  EXPECT_EQ(requests.value(), 3.0);
  std::string text = metrics::render_prometheus();
  EXPECT_NE(text.find("healthd_http_request_duration_seconds_count{service=\"ws/fhir/metrics-test\",route=\"fhir.read\"} 3"),
            std::string::npos);
  EXPECT_NE(text.find("healthd_worker_queue_depth"), std::string::npos);
  EXPECT_NE(text.find("healthd_worker_busy"), std::string::npos);
}

TEST_F(ServerTest, StopLetsInFlightRequestFinish) {
  std::latch entered(1);
  std::atomic<int> handled{0};
  start(test_options(), [&](Request& req) {
    ++handled;
    if (req.path != "/slow") return text(200, "warm");
    entered.count_down();
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    return text(200, std::string(20000, 's'));
  });
  TestClient idle(port());
  ASSERT_TRUE(idle.send(get_request("/warmup")));
  ASSERT_TRUE(idle.read_response());  // now an idle keep-alive connection

  TestClient c(port());
  ASSERT_TRUE(c.send(get_request("/slow")));
  entered.wait();
  auto t0 = std::chrono::steady_clock::now();
  server_->stop();
  auto stop_took = std::chrono::steady_clock::now() - t0;
  EXPECT_LT(stop_took, std::chrono::seconds(3));

  auto r = c.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, std::string(20000, 's'));
  EXPECT_EQ(r->header("connection"), "close");
  EXPECT_TRUE(c.closed_by_peer());
  EXPECT_TRUE(idle.closed_by_peer());
  // Nothing new reaches the stopped server (another parallel test may own the freed port by now,
  // so what counts is that this server's handler never runs again).
  TestClient late(port(), 500);
  if (late.connected() && late.send(get_request("/"))) late.read_response();
  EXPECT_EQ(handled.load(), 2);
}

TEST_F(ServerTest, StopAfterGraceClosesStuckRequests) {
  auto o = test_options();
  o.shutdown_grace_s = 1;
  std::latch entered(1);
  start(o, [&](Request&) {
    entered.count_down();
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));
    return text(200, "late");
  });
  TestClient c(port());
  ASSERT_TRUE(c.send(get_request("/stuck")));
  entered.wait();
  auto t0 = std::chrono::steady_clock::now();
  server_->stop();  // waits the grace second, closes, then joins the worker
  auto took = std::chrono::steady_clock::now() - t0;
  EXPECT_GE(took, std::chrono::milliseconds(900));
  EXPECT_LT(took, std::chrono::seconds(4));
  EXPECT_FALSE(c.read_response());
}

TEST_F(ServerTest, TimeoutsCloseConnections) {
  auto o = test_options();
  o.read_timeout_s = 1;
  o.idle_timeout_s = 1;
  start(o, [](Request&) { return text(200, "ok"); });
  TestClient partial(port());
  ASSERT_TRUE(partial.send("GET / HTTP/1.1\r\nHost: t\r\n"));  // never finished
  TestClient idle(port());
  ASSERT_TRUE(idle.send(get_request("/")));
  ASSERT_TRUE(idle.read_response());
  auto t0 = std::chrono::steady_clock::now();
  EXPECT_TRUE(partial.closed_by_peer());  // blocks until the server gives up (client timeout is 5 s)
  EXPECT_TRUE(idle.closed_by_peer());
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(3));
}

TEST_F(ServerTest, StartFailsWhenPortTaken) {
  start(test_options(), [](Request&) { return text(200, ""); });
  auto o = test_options();
  o.port = port();
  Server other(o, [](Request&) { return text(200, ""); });
  EXPECT_THROW(other.start(), std::runtime_error);
}

TEST_F(ServerTest, BodylessStatuses) {
  start(test_options(), [](Request& req) { return text(req.path == "/204" ? 204 : 304, "ignored"); });
  TestClient c(port());
  ASSERT_TRUE(c.send(get_request("/204")));
  auto r = c.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 204);
  EXPECT_EQ(r->header("content-length"), "");
  ASSERT_TRUE(c.send(get_request("/304")));
  r = c.read_response(/*head=*/true);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 304);
  ASSERT_TRUE(c.send(get_request("/204")));
  EXPECT_TRUE(c.read_response());
}

TEST_F(ServerTest, HeaderInjectionNeutralized) {
  start(test_options(), [](Request&) {
    Response r = text(200, "x");
    r.headers.set("Location", "/a\r\nSet-Cookie: evil=1");
    return r;
  });
  TestClient c(port());
  ASSERT_TRUE(c.send(get_request("/")));
  auto r = c.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->header("set-cookie"), "");
  EXPECT_EQ(r->header("location"), "/a  Set-Cookie: evil=1");
}

TEST(ServerSignalTest, SigtermEndsRunUntilSignal) {
  std::atomic<int> handled{0};
  Server server(test_options(), [&handled](Request&) {
    ++handled;
    return text(200, "ok");
  });
  std::thread runner([&] { server.run_until_signal(); });
  while (server.port() == 0) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  // Raising SIGTERM before run_until_signal installed its handler would kill the test process:
  // wait until the handler is really in place.
  for (;;) {
    struct sigaction current {};
    sigaction(SIGTERM, nullptr, &current);
    if (current.sa_handler != SIG_DFL) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  {
    TestClient c(server.port());
    ASSERT_TRUE(c.send(get_request("/")));
    ASSERT_TRUE(c.read_response());
  }
  std::raise(SIGTERM);
  runner.join();  // returns only after a graceful stop
  // Nothing reaches this server any more. (Tests run in parallel: another test's server may
  // already own the freed port, so what counts is that this server's handler never runs again.)
  TestClient late(server.port(), 500);
  if (late.connected() && late.send(get_request("/"))) late.read_response();
  EXPECT_EQ(handled.load(), 1);
}

}  // namespace
}  // namespace healthd::http
