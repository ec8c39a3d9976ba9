// The only server translation unit that includes Asio/Beast (client.cpp is the other user).
//
// One coroutine per connection, on its own strand; the session is a template over the
// connection type (plain TCP or TLS: PlainConnection, TlsConnection), the dispatch is shared.
// Beast parses (straight into a healthd::Request, no intermediate beast::http::request);
// responses are serialized by hand into a per-connection buffer and written with one gather write.
#include <utility>  // Boost 1.74: before asio's awaitable.hpp

// GCC 12 misreads Boost 1.74's recycling operator new/delete pair for coroutine frames.
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"

#include "http/server.h"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/basic_parser.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/status.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <spdlog/spdlog.h>

#include <array>
#include <cctype>
#include <cstdio>
#include <optional>
#include <atomic>
#include <charconv>
#include <chrono>
#include <condition_variable>
#include <ctime>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <type_traits>
#include <unordered_map>
#include <vector>

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "common/ids.h"
#include "common/metrics.h"
#include "common/outcome.h"
#include "http/access_log.h"
#include "http/gzip.h"
#include "http/tls.h"
#include "http/worker_pool.h"

namespace healthd::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace ssl = boost::asio::ssl;
using tcp = asio::ip::tcp;
using asio::awaitable;
using asio::use_awaitable;
using Clock = std::chrono::steady_clock;

namespace {

std::string_view sv(beast::string_view s) { return {s.data(), s.size()}; }

// Parses one request straight into a healthd::Request. The body goes to req.body, or for routes
// with a FileBodyRule (ServerOptions::file_body) above its memory_max to a file (req.body_file).
class RequestParser final : public bhttp::basic_parser<true> {
 public:
  RequestParser(Request& req, const ServerOptions& options) : req_(req), options_(options) {}
  ~RequestParser() override {
    if (fd_ >= 0) ::close(fd_);
  }

  int version() const { return version_; }
  bool expects_continue() const { return expect_continue_; }
  // The body may go to a file: read it with a timeout per read, not for the whole body.
  bool large_body() const { return rule_.has_value(); }
  uint64_t large_body_limit() const { return rule_ ? rule_->max_bytes : 0; }
  // Why the body file could not be written ("" when it could), and its errno (ENOSPC: 507).
  const std::string& file_error() const { return file_error_; }
  int file_errno() const { return file_errno_; }

 private:
  void on_request_impl(bhttp::verb, beast::string_view method, beast::string_view target, int version,
                       beast::error_code&) override {
    version_ = version;
    req_.method.assign(method.data(), method.size());
    std::string_view t = sv(target);
    // absolute-form (RFC 9112 §3.2.2): keep only the path and query.
    if (t.starts_with("http://") || t.starts_with("https://")) {
      size_t slash = t.find('/', t.find("//") + 2);
      t = slash == std::string_view::npos ? std::string_view("/") : t.substr(slash);
    }
    size_t q = t.find('?');
    req_.path = percent_decode(t.substr(0, q));
    if (q != std::string_view::npos) req_.query = parse_query(t.substr(q + 1));
    if (options_.file_body) {
      rule_ = options_.file_body(req_.method, req_.path);
      if (rule_) body_limit(rule_->max_bytes);
    }
  }

  void on_response_impl(int, beast::string_view, int, beast::error_code&) override {}

  void on_field_impl(bhttp::field name, beast::string_view name_string, beast::string_view value,
                     beast::error_code&) override {
    if (name == bhttp::field::expect && beast::iequals(value, "100-continue")) expect_continue_ = true;
    req_.headers.add(std::string(name_string.data(), name_string.size()), std::string(value.data(), value.size()));
  }

  void on_header_impl(beast::error_code&) override {}

  void on_body_init_impl(const boost::optional<std::uint64_t>& content_length, beast::error_code& ec) override {
    // Already checked against body_limit by the parser.
    if (rule_ && content_length && *content_length > rule_->memory_max)
      open_file(ec);
    else if (content_length)
      req_.body.reserve(static_cast<size_t>(*content_length));
  }

  size_t on_body_impl(beast::string_view body, beast::error_code& ec) override {
    append(body, ec);
    return body.size();
  }

  void on_chunk_header_impl(std::uint64_t, beast::string_view, beast::error_code&) override {}

  size_t on_chunk_body_impl(std::uint64_t, beast::string_view body, beast::error_code& ec) override {
    append(body, ec);
    return body.size();
  }

  void on_finish_impl(beast::error_code&) override {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

  void append(beast::string_view bytes, beast::error_code& ec) {
    if (fd_ < 0) {
      req_.body.append(bytes.data(), bytes.size());
      // A chunked body of unknown size: in memory until it outgrows memory_max.
      if (!rule_ || req_.body.size() <= rule_->memory_max) return;
      std::string held;
      held.swap(req_.body);
      if (!open_file(ec)) return;
      write(held, ec);
      return;
    }
    write(std::string_view(bytes.data(), bytes.size()), ec);
  }

  bool open_file(beast::error_code& ec) {
    auto file = std::make_shared<BodyFile>();
    file->path = rule_->dir + "/upload-" + new_uuid() + ".body";
    fd_ = ::open(file->path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd_ < 0) {
      fail(ec, "cannot create " + file->path);
      return false;
    }
    req_.body_file = std::move(file);
    return true;
  }

  void write(std::string_view bytes, beast::error_code& ec) {
    while (!bytes.empty()) {
      ssize_t n = ::write(fd_, bytes.data(), bytes.size());
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        fail(ec, "cannot write " + req_.body_file->path);
        return;
      }
      bytes.remove_prefix(static_cast<size_t>(n));
      req_.body_file->size += static_cast<uint64_t>(n);
    }
  }

  void fail(beast::error_code& ec, std::string what) {
    file_errno_ = errno;
    file_error_ = std::move(what) + ": " + std::strerror(errno);
    ec = beast::errc::make_error_code(beast::errc::io_error);
  }

  Request& req_;
  const ServerOptions& options_;
  std::optional<FileBodyRule> rule_;
  int fd_ = -1;
  std::string file_error_;
  int file_errno_ = 0;
  int version_ = 11;
  bool expect_continue_ = false;
};

// "Sun, 06 Nov 1994 08:49:37 GMT", formatted once per second per thread.
std::string_view http_date() {
  thread_local std::time_t cached_second = -1;
  thread_local char text[40];
  std::time_t now = std::time(nullptr);
  if (now != cached_second) {
    static constexpr const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
    static constexpr const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                              "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    std::tm tm{};
    gmtime_r(&now, &tm);
    std::snprintf(text, sizeof text, "%s, %02d %s %04d %02d:%02d:%02d GMT", kDays[tm.tm_wday], tm.tm_mday,
                  kMonths[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
    cached_second = now;
  }
  return text;
}

// Headers the server writes itself; a handler's values for them are ignored.
bool server_owned_header(std::string_view name) {
  return iequals(name, "Content-Length") || iequals(name, "Transfer-Encoding") || iequals(name, "Connection") ||
         iequals(name, "Keep-Alive") || iequals(name, "Date") || iequals(name, "Server") ||
         iequals(name, "X-Request-Id");
}

bool contains_token(std::string_view list, std::string_view token) {
  for (size_t i = 0; i + token.size() <= list.size(); ++i)
    if (iequals(list.substr(i, token.size()), token)) return true;
  return false;
}

void append_number(std::string& out, uint64_t v) {
  char buf[24];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, end);
}

// Header values may echo client input: never let CR/LF split the response.
void append_header_value(std::string& out, std::string_view v) {
  if (v.find_first_of("\r\n", 0) == std::string_view::npos && v.find('\0') == std::string_view::npos) {
    out.append(v);
    return;
  }
  for (char c : v) out.push_back(c == '\r' || c == '\n' || c == '\0' ? ' ' : c);
}

std::string peer_address(const tcp::socket& socket) {
  beast::error_code ec;
  auto address = socket.remote_endpoint(ec).address();
  if (ec) return {};
  if (address.is_v6() && address.to_v6().is_v4_mapped())
    return asio::ip::make_address_v4(asio::ip::v4_mapped, address.to_v6()).to_string();
  return address.to_string();
}

bool valid_host(std::string_view host) {
  if (host.empty() || host.size() > 255) return false;
  for (char c : host)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '-' && c != ':' && c != '[' &&
        c != ']' && c != '_')
      return false;
  return true;
}

}  // namespace

// One request/response exchange on a connection; reused across requests.
struct Exchange {
  std::string request_id;
  bool head = false;         // HEAD: write headers only
  bool gzip_ok = false;      // client accepts gzip
  bool keep_alive = true;    // after the parser's HTTP/1.x rules and our own decisions
  int version = 11;
  std::string head_bytes;    // serialized status line + headers
  size_t body_bytes = 0;     // body bytes to write (0 for HEAD and bodyless statuses)
  bool streaming = false;    // the body comes from Response::stream, after the head
  bool chunked = false;      // ... in chunked transfer coding (its length is not known up front)
};

// The read buffer: grown to take a request body in few reads (at most kBodyReadBytes at a time),
// and given back once idle when larger than kIdleBufferBytes.
constexpr uint64_t kBodyReadBytes = 1 << 20;
constexpr size_t kIdleBufferBytes = 64 << 10;

// Bytes asked of a BodySource per call: big enough for few round trips to the worker pool,
// small enough that a streamed answer holds little memory per connection.
constexpr size_t kStreamPiece = 256 << 10;

struct Connection {
  virtual ~Connection() = default;
  virtual beast::tcp_stream& tcp() = 0;  // the transport; its executor is the connection's strand
  virtual bool tls() const = 0;
  beast::flat_buffer buffer;
  Exchange x;
  std::string client_ip;
  bool idle = true;  // waiting for the first byte of a request; touched on the strand only
};

struct PlainConnection final : Connection {
  explicit PlainConnection(tcp::socket socket) : stream(std::move(socket)) {}
  beast::tcp_stream& tcp() override { return stream; }
  bool tls() const override { return false; }
  beast::tcp_stream stream;
};

struct TlsConnection final : Connection {
  TlsConnection(tcp::socket socket, ssl::context& ctx) : stream(std::move(socket), ctx) {}
  beast::tcp_stream& tcp() override { return beast::get_lowest_layer(stream); }
  bool tls() const override { return true; }
  beast::ssl_stream<beast::tcp_stream> stream;
};

struct Server::Impl {
  Impl(ServerOptions o, Handler h, FastHandler f)
      : options(std::move(o)), handler(std::move(h)), fast(std::move(f)), ioc(std::max(options.io_threads, 1)) {}

  // --- state; the connection registry is declared before ioc so it outlives the frames ioc destroys
  ServerOptions options;
  Handler handler;
  FastHandler fast;

  std::mutex conn_mu;
  std::condition_variable conn_cv;
  std::unordered_map<Connection*, std::weak_ptr<Connection>> connections;
  size_t active_sessions = 0;

  std::atomic<bool> stopping{false};  // graceful stop begun: no new requests on kept-alive connections
  std::atomic<bool> abandon{false};   // grace period over: queued work is answered 503 unrun

  std::mutex state_mu;  // started / stopped / stop_requested, and serializes stop()
  std::mutex stop_mu;
  std::condition_variable state_cv;
  bool started = false;
  bool stopped = false;
  bool stop_requested = false;

  std::shared_ptr<WorkerPool> pool;
  std::atomic<uint16_t> bound_port{0};
  std::optional<ssl::context> tls_context;  // set when the listener speaks TLS

  asio::io_context ioc;
  asio::strand<asio::io_context::executor_type> accept_strand{asio::make_strand(ioc)};
  tcp::acceptor acceptor{accept_strand};
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work;
  std::vector<std::thread> io_threads;

  void start();
  void stop();
  awaitable<void> accept_loop();
  template <class C>
  void spawn_session(std::shared_ptr<C> c, std::string client_ip);
  template <class C>
  awaitable<void> session(std::shared_ptr<C> c);
  bool prepare(Connection& c, Request& req, Response& res, bool close_after, int version, bool keep_alive);
  void run_work(Request& req, Response& res, Exchange& x);
  template <class C>
  awaitable<void> close_after_error(C& c);
  template <class C>
  awaitable<void> close_gracefully(C& c);
  void begin_exchange(Connection& c, const Request& req, int version, bool keep_alive);
  void finish(Response& res, Exchange& x) const;
  void run_handler(Request& req, Response& res, Exchange& x) const;
  // Sends a streamed body after its head; the bytes sent, or nullopt when the connection must
  // close (the source failed, its length differs from the announced one, or the write failed).
  template <class C>
  awaitable<std::optional<uint64_t>> send_stream(C& c, BodySource& source, Exchange& x);
  template <class Fn>
  auto async_on_pool(Fn& fn, bool& accepted);
  bool wait_sessions_until(Clock::time_point deadline);
  void for_each_connection(const std::function<void(const std::shared_ptr<Connection>&)>& fn);
};

// ---------------------------------------------------------------------------------------------
// Response preparation: compression and the serialized head. Runs on the worker for pool
// requests, so the I/O thread only writes.

void Server::Impl::finish(Response& res, Exchange& x) const {
  if (res.status < 100 || res.status > 599) res.status = 500;
  const bool bodyless = res.status < 200 || res.status == 204 || res.status == 304;
  if (bodyless) {
    res.body.clear();
    res.stream.reset();
  } else if (!res.stream && res.body.size() >= options.gzip_min_bytes && !res.headers.has("Content-Encoding")) {
    auto vary = res.headers.get("Vary");
    if (!vary)
      res.headers.add("Vary", "Accept-Encoding");
    else if (*vary != "*" && !contains_token(*vary, "accept-encoding"))
      res.headers.set("Vary", std::string(*vary) + ", Accept-Encoding");
    if (x.gzip_ok) {
      res.body = gzip_compress(res.body);
      res.headers.add("Content-Encoding", "gzip");
    }
  }
  if (stopping.load(std::memory_order_relaxed)) x.keep_alive = false;
  // A streamed body of unknown length: chunked for HTTP/1.1, ended by closing for HTTP/1.0.
  const std::optional<uint64_t> stream_size = res.stream ? res.stream->size() : std::nullopt;
  x.streaming = res.stream && !x.head;
  x.chunked = res.stream && !stream_size && x.version >= 11;
  if (res.stream && !stream_size && !x.chunked) x.keep_alive = false;

  std::string& out = x.head_bytes;
  out.clear();
  out.append("HTTP/1.1 ");
  append_number(out, static_cast<uint64_t>(res.status));
  out.push_back(' ');
  auto reason = bhttp::obsolete_reason(bhttp::int_to_status(static_cast<unsigned>(res.status)));
  if (reason.starts_with("<")) reason = "Status";  // "<unknown-status>"
  out.append(reason.data(), reason.size());
  out.append("\r\nDate: ").append(http_date());
  out.append("\r\nServer: healthd\r\nX-Request-Id: ").append(x.request_id);
  for (const auto& [name, value] : res.headers.entries()) {
    if (server_owned_header(name) || name.empty() || name.find_first_of(":\r\n ") != std::string::npos) continue;
    out.append("\r\n").append(name).append(": ");
    append_header_value(out, value);
  }
  if (res.status >= 200 && res.status != 204) {
    if (x.chunked) {
      out.append("\r\nTransfer-Encoding: chunked");
    } else if (!res.stream || stream_size) {
      out.append("\r\nContent-Length: ");
      append_number(out, res.stream ? *stream_size : res.body.size());
    }
  }
  if (!x.keep_alive)
    out.append("\r\nConnection: close");
  else if (x.version == 10)
    out.append("\r\nConnection: keep-alive");
  out.append("\r\n\r\n");
  x.body_bytes = x.head ? 0 : res.body.size();
}

void Server::Impl::run_handler(Request& req, Response& res, Exchange& x) const {
  try {
    res = handler(req);
  } catch (const std::exception& e) {
    spdlog::error("http handler failed: {} {} rid={}: {}", req.method, req.path, x.request_id, e.what());
    res = outcome_response(500, "exception", "internal server error");
  } catch (...) {
    spdlog::error("http handler failed: {} {} rid={}: unknown exception", req.method, req.path, x.request_id);
    res = outcome_response(500, "exception", "internal server error");
  }
}

// Fills the exchange for a freshly parsed request and the request's derived fields.
void Server::Impl::begin_exchange(Connection& c, const Request& req, int version, bool keep_alive) {
  Exchange& x = c.x;
  x.version = version;
  x.keep_alive = keep_alive;
  x.head = req.method == "HEAD";
  x.gzip_ok = false;
  x.request_id.clear();
  for (const auto& [name, value] : req.headers.entries()) {
    if (iequals(name, "X-Request-Id") && x.request_id.empty())
      x.request_id = sanitize_request_id(value);
    else if (iequals(name, "Accept-Encoding") && accepts_gzip(value))
      x.gzip_ok = true;
  }
  if (x.request_id.empty()) x.request_id = new_request_id();
}

// Runs fn() on the worker pool and resumes the awaiting coroutine on its own executor
// (the connection's strand). When the pool refuses, `accepted` becomes false and fn is not run.
template <class Fn>
auto Server::Impl::async_on_pool(Fn& fn, bool& accepted) {
  return asio::async_initiate<const asio::use_awaitable_t<>&, void()>(
      [this, &fn, &accepted](auto handler) {
        Task task([&fn, &accepted, h = std::move(handler)]() mutable {
          if (accepted) fn();
          auto ex = asio::get_associated_executor(h);
          asio::post(ex, std::move(h));
        });
        if (!pool->try_submit(std::move(task))) {
          accepted = false;
          task();  // completes (posts) without running fn
        }
      },
      use_awaitable);
}

// ---------------------------------------------------------------------------------------------
// Connections

// The part of the dispatch shared by plain and TLS connections that needs no suspension:
// derived request fields and the fast handler on the I/O thread. True when res is ready to
// write (c.x.head_bytes + body); false when the handler must run on the pool (run_work).
bool Server::Impl::prepare(Connection& c, Request& req, Response& res, bool close_after, int version,
                           bool keep_alive) {
  begin_exchange(c, req, version, !close_after && keep_alive);
  Exchange& x = c.x;
  req.request_id = x.request_id;
  req.client_ip = c.client_ip;
  if (close_after) {
    finish(res, x);
    return true;
  }
  const char* scheme = c.tls() ? "https://" : "http://";
  auto host = req.headers.get("Host");
  if (host && valid_host(*host)) {
    req.origin.assign(scheme).append(*host);
  } else {
    beast::error_code ec;
    auto local = c.tcp().socket().local_endpoint(ec);
    req.origin = scheme + (local.address().is_v6() ? "[" + local.address().to_string() + "]"
                                                   : local.address().to_string()) +
                 ":" + std::to_string(local.port());
  }
  if (!fast) return false;
  try {
    auto r = fast(req);
    if (!r) return false;
    res = std::move(*r);
  } catch (const std::exception& e) {
    spdlog::error("http fast handler failed: {} {} rid={}: {}", req.method, req.path, x.request_id, e.what());
    res = outcome_response(500, "exception", "internal server error");
  }
  finish(res, x);
  return true;
}

// Runs on a worker: the handler, then the response preparation.
void Server::Impl::run_work(Request& req, Response& res, Exchange& x) {
  if (abandon.load()) {
    res = outcome_response(503, "transient", "server is shutting down");
    x.keep_alive = false;
  } else {
    // The pool outlives every request it runs (stop() drains it), so a raw pointer will do.
    req.run_on_pool = [p = pool.get()](std::function<void()> task) {
      return p->try_submit_to_idle(Task(std::move(task)));
    };
    run_handler(req, res, x);
  }
  try {
    finish(res, x);
  } catch (const std::exception& e) {  // gzip out of memory
    spdlog::error("http response preparation failed rid={}: {}", x.request_id, e.what());
    res = outcome_response(500, "exception", "internal server error");
    finish(res, x);
  }
}

template <class C>
awaitable<std::optional<uint64_t>> Server::Impl::send_stream(C& c, BodySource& source, Exchange& x) {
  const std::optional<uint64_t> announced = source.size();
  const auto write_timeout = std::chrono::seconds(options.read_timeout_s);
  std::string piece;
  uint64_t sent = 0;
  beast::error_code ec;
  for (;;) {
    if (abandon.load()) co_return std::nullopt;
    // The source reads files (or transcodes): on the worker pool, like the handler.
    bool more = false, failed = false;
    auto produce = [&] {
      try {
        more = source.next(piece, kStreamPiece);
      } catch (const std::exception& e) {
        spdlog::error("http streamed body failed rid={}: {}", x.request_id, e.what());
        failed = true;
      }
    };
    bool accepted = true;
    co_await async_on_pool(produce, accepted);
    if (!accepted) produce();  // pool saturated: produce here rather than stall the answer
    if (failed) co_return std::nullopt;
    if (!more) break;
    if (piece.empty()) continue;
    if (announced && sent + piece.size() > *announced) break;  // reported below
    c.tcp().expires_after(write_timeout);
    if (x.chunked) {
      std::string size_line;
      static constexpr char kHex[] = "0123456789abcdef";
      for (size_t n = piece.size(); n > 0; n >>= 4) size_line.insert(size_line.begin(), kHex[n & 15]);
      size_line += "\r\n";
      std::array<asio::const_buffer, 3> buffers{asio::buffer(size_line), asio::buffer(piece), asio::buffer("\r\n", 2)};
      co_await asio::async_write(c.stream, buffers, asio::redirect_error(use_awaitable, ec));
    } else {
      co_await asio::async_write(c.stream, asio::buffer(piece), asio::redirect_error(use_awaitable, ec));
    }
    if (ec) co_return std::nullopt;
    sent += piece.size();
  }
  if (announced && sent != *announced) {
    spdlog::error("http streamed body rid={}: {} bytes announced, {} produced", x.request_id, *announced,
                  sent + piece.size());
    co_return std::nullopt;
  }
  if (x.chunked) {
    c.tcp().expires_after(write_timeout);
    co_await asio::async_write(c.stream, asio::buffer("0\r\n\r\n", 5), asio::redirect_error(use_awaitable, ec));
    if (ec) co_return std::nullopt;
  }
  co_return sent;
}

template <class C>
awaitable<void> Server::Impl::session(std::shared_ptr<C> c) {
  struct Unregister {
    Impl* impl;
    Connection* c;
    ~Unregister() {
      std::lock_guard lock(impl->conn_mu);
      impl->connections.erase(c);
      if (--impl->active_sessions == 0) impl->conn_cv.notify_all();
    }
  } unregister{this, c.get()};

  const auto idle_timeout = std::chrono::seconds(options.idle_timeout_s);
  const auto read_timeout = std::chrono::seconds(options.read_timeout_s);
  beast::error_code ec;
  try {
    if constexpr (std::is_same_v<C, TlsConnection>) {
      c->tcp().expires_after(read_timeout);  // counts as idle: stop() may cancel it
      co_await c->stream.async_handshake(ssl::stream_base::server, asio::redirect_error(use_awaitable, ec));
      if (ec) {
        spdlog::debug("http TLS handshake with {} failed: {}", c->client_ip, ec.message());
        c->tcp().close();
        co_return;
      }
    }
    for (;;) {
      // Wait for the next request (keep-alive idle time), unless pipelined bytes are buffered.
      if (c->buffer.size() == 0) {
        if (c->buffer.capacity() > kIdleBufferBytes) c->buffer.shrink_to_fit();  // a body's room is not kept
        c->idle = true;
        if (stopping.load()) break;
        c->tcp().expires_after(idle_timeout);
        size_t n = co_await c->stream.async_read_some(c->buffer.prepare(8192), asio::redirect_error(use_awaitable, ec));
        if (ec) break;
        c->buffer.commit(n);
      }
      c->idle = false;
      const auto started_at = Clock::now();

      Request req;
      Response res;
      RequestParser parser(req, options);
      parser.header_limit(static_cast<std::uint32_t>(std::min<size_t>(options.max_header_bytes, UINT32_MAX)));
      parser.body_limit(options.max_body_bytes);

      c->tcp().expires_after(read_timeout);
      co_await bhttp::async_read_header(c->stream, c->buffer, parser, asio::redirect_error(use_awaitable, ec));
      if (!ec && !parser.is_done()) {
        // Room for the body (up to kBodyReadBytes) in the read buffer: a 40 KB body is read in one
        // call instead of five of 8 KB, each a system call and a trip through the parser.
        if (auto left = parser.content_length_remaining())
          c->buffer.reserve(c->buffer.size() + static_cast<size_t>(std::min<uint64_t>(*left, kBodyReadBytes)));
        if (parser.expects_continue() && parser.version() >= 11) {
          static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
          co_await asio::async_write(c->stream, asio::buffer(kContinue.data(), kContinue.size()),
                                     asio::redirect_error(use_awaitable, ec));
        }
        if (!ec && parser.large_body()) {
          // A large upload: the read timeout counts from the last bytes received.
          while (!ec && !parser.is_done()) {
            c->tcp().expires_after(read_timeout);
            co_await bhttp::async_read_some(c->stream, c->buffer, parser, asio::redirect_error(use_awaitable, ec));
          }
        } else if (!ec) {
          co_await bhttp::async_read(c->stream, c->buffer, parser, asio::redirect_error(use_awaitable, ec));
        }
      }

      bool close_after = false;  // error responses end the connection (the rest of the input is unusable)
      if (ec) {
        if (!parser.file_error().empty()) {
          spdlog::error("http: {} {}: {}", req.method, req.path, parser.file_error());
          res = outcome_response(parser.file_errno() == ENOSPC ? 507 : 500, "exception",
                                 "the upload could not be stored: " + parser.file_error());
        } else if (ec == bhttp::error::body_limit) {
          record_rejection(Rejection::too_large);
          res = outcome_response(413, "too-costly",
                                 "request body exceeds " +
                                     std::to_string(parser.large_body() ? parser.large_body_limit() : options.max_body_bytes) +
                                     " bytes");
        } else if (ec == bhttp::error::header_limit) {
          record_rejection(Rejection::headers_too_large);
          res = outcome_response(431, "too-costly", "request header fields too large");
        } else if (ec == beast::error::timeout) {
          record_rejection(Rejection::timeout);
          break;
        } else if (ec == bhttp::error::end_of_stream || ec == bhttp::error::partial_message ||
                   ec == asio::error::eof || ec == asio::error::operation_aborted ||
                   ec == asio::error::connection_reset || ec == asio::error::bad_descriptor ||
                   ec.category() == asio::error::get_ssl_category() || ec == ssl::error::stream_truncated) {
          break;
        } else {
          record_rejection(Rejection::bad_request);
          res = outcome_response(400, "structure", "malformed HTTP request: " + ec.message());
        }
        close_after = true;
        if (req.method.empty()) req.method = "-";
      }

      Exchange& x = c->x;
      if (!prepare(*c, req, res, close_after, parser.version(), parser.keep_alive())) {
        auto work = [&] { run_work(req, res, x); };
        bool accepted = true;
        co_await async_on_pool(work, accepted);
        if (!accepted) {
          record_rejection(Rejection::saturated);
          res = outcome_response(503, "throttled", "server busy, retry later");
          res.headers.set("Retry-After", "1");
          finish(res, x);
        }
      }

      c->tcp().expires_after(read_timeout);
      std::array<asio::const_buffer, 2> buffers{asio::buffer(x.head_bytes),
                                               asio::buffer(res.body.data(), x.body_bytes)};
      co_await asio::async_write(c->stream, buffers, asio::redirect_error(use_awaitable, ec));
      uint64_t body_sent = x.body_bytes;
      bool stream_failed = false;
      if (!ec && x.streaming) {
        auto sent = co_await send_stream(*c, *res.stream, x);
        stream_failed = !sent;
        body_sent = sent.value_or(0);
      }

      AccessRecord record;
      record.method = req.method;
      record.path = req.path;
      record.service = res.service;
      record.route = res.route;
      record.request_id = x.request_id;
      record.status = res.status;
      record.seconds = std::chrono::duration<double>(Clock::now() - started_at).count();
      record.bytes = body_sent;
      record_access(record);

      if (ec || stream_failed) break;
      if (close_after) {
        co_await close_after_error(*c);
        break;
      }
      if (!x.keep_alive) {
        co_await close_gracefully(*c);
        break;
      }
    }
  } catch (const std::exception& e) {
    spdlog::error("http connection failed: {}", e.what());
  }
  c->tcp().close();
}

// After an error response the client may still be sending (a too-large body): half-close
// and drain for a moment, so the client reads our response instead of a connection reset.
// Over TLS, close_notify is the half-close (the peer's unread records are dropped with it).
template <class C>
awaitable<void> Server::Impl::close_after_error(C& c) {
  if constexpr (std::is_same_v<C, TlsConnection>) {
    co_await close_gracefully(c);
  } else {
    beast::error_code ec;
    c.tcp().socket().shutdown(tcp::socket::shutdown_send, ec);
    c.tcp().expires_after(std::chrono::seconds(2));
    size_t drained = 0;
    while (!ec && drained < (8u << 20)) {
      c.buffer.clear();
      drained += co_await c.stream.async_read_some(c.buffer.prepare(16384), asio::redirect_error(use_awaitable, ec));
    }
  }
}

// Connection: close after a response: TCP half-close, or TLS close_notify (waiting briefly
// for the peer's).
template <class C>
awaitable<void> Server::Impl::close_gracefully(C& c) {
  beast::error_code ec;
  if constexpr (std::is_same_v<C, TlsConnection>) {
    c.tcp().expires_after(std::chrono::seconds(1));
    co_await c.stream.async_shutdown(asio::redirect_error(use_awaitable, ec));
  } else {
    c.tcp().socket().shutdown(tcp::socket::shutdown_send, ec);
  }
}

awaitable<void> Server::Impl::accept_loop() {
  for (;;) {
    tcp::socket socket(asio::make_strand(ioc));
    beast::error_code ec;
    co_await acceptor.async_accept(socket, asio::redirect_error(use_awaitable, ec));
    if (ec == asio::error::operation_aborted || !acceptor.is_open()) co_return;
    if (ec) {
      // Typically EMFILE: back off briefly instead of spinning.
      spdlog::warn("http accept failed: {}", ec.message());
      asio::steady_timer pause(accept_strand, std::chrono::milliseconds(50));
      co_await pause.async_wait(asio::redirect_error(use_awaitable, ec));
      continue;
    }
    socket.set_option(tcp::no_delay(true), ec);
    std::string client_ip = peer_address(socket);
    if (tls_context)
      spawn_session(std::make_shared<TlsConnection>(std::move(socket), *tls_context), std::move(client_ip));
    else
      spawn_session(std::make_shared<PlainConnection>(std::move(socket)), std::move(client_ip));
  }
}

template <class C>
void Server::Impl::spawn_session(std::shared_ptr<C> c, std::string client_ip) {
  c->client_ip = std::move(client_ip);
  {
    std::lock_guard lock(conn_mu);
    connections.emplace(c.get(), c);
    ++active_sessions;
  }
  auto executor = c->tcp().get_executor();
  asio::co_spawn(executor, session(std::move(c)), asio::detached);
}

// ---------------------------------------------------------------------------------------------
// Lifecycle

void Server::Impl::start() {
  std::lock_guard lock(state_mu);
  if (started) throw std::runtime_error("http server already started");
  if (!options.tls_cert_file.empty() || !options.tls_key_file.empty()) {
    if (options.tls_cert_file.empty() || options.tls_key_file.empty())
      throw std::runtime_error("http: TLS needs both a certificate file and a key file");
    tls_context.emplace(new_server_tls_context(options.tls_cert_file, options.tls_key_file).release());
  }
  beast::error_code ec;
  tcp::endpoint endpoint;
  auto address = asio::ip::make_address(options.host, ec);
  if (!ec) {
    endpoint = tcp::endpoint(address, options.port);
  } else {
    tcp::resolver resolver(ioc);
    auto results = resolver.resolve(options.host, std::to_string(options.port), tcp::resolver::passive, ec);
    if (ec || results.empty())
      throw std::runtime_error("http: cannot resolve " + options.host + ": " + ec.message());
    endpoint = results.begin()->endpoint();
  }
  auto fail = [&](const char* what) {
    throw std::runtime_error("http: cannot " + std::string(what) + " " + options.host + ":" +
                             std::to_string(options.port) + ": " + ec.message());
  };
  acceptor.open(endpoint.protocol(), ec);
  if (ec) fail("open");
  acceptor.set_option(asio::socket_base::reuse_address(true), ec);
  acceptor.bind(endpoint, ec);
  if (ec) fail("bind");
  acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) fail("listen on");
  bound_port = acceptor.local_endpoint().port();

  pool = std::make_shared<WorkerPool>(options.workers, options.max_queue);
  std::weak_ptr<WorkerPool> weak = pool;
  metrics::gauge("healthd_worker_queue_depth", "Requests waiting for a worker", {}, [weak] {
    auto p = weak.lock();
    return p ? static_cast<double>(p->queue_depth()) : 0.0;
  });
  metrics::gauge("healthd_worker_busy", "Workers running a request", {}, [weak] {
    auto p = weak.lock();
    return p ? static_cast<double>(p->busy()) : 0.0;
  });

  work.emplace(ioc.get_executor());
  asio::co_spawn(accept_strand, accept_loop(), asio::detached);
  for (int i = 0; i < std::max(options.io_threads, 1); ++i) io_threads.emplace_back([this] { ioc.run(); });
  started = true;
  spdlog::info("{} listening on {}:{}", tls_context ? "https" : "http", options.host, bound_port);
}

void Server::Impl::for_each_connection(const std::function<void(const std::shared_ptr<Connection>&)>& fn) {
  std::vector<std::shared_ptr<Connection>> all;
  {
    std::lock_guard lock(conn_mu);
    for (auto& [raw, weak] : connections)
      if (auto c = weak.lock()) all.push_back(std::move(c));
  }
  for (auto& c : all) fn(c);
}

bool Server::Impl::wait_sessions_until(Clock::time_point deadline) {
  std::unique_lock lock(conn_mu);
  return conn_cv.wait_until(lock, deadline, [this] { return active_sessions == 0; });
}

void Server::Impl::stop() {
  std::lock_guard stop_lock(stop_mu);
  {
    std::lock_guard lock(state_mu);
    if (!started || stopped) return;
  }
  stopping = true;

  // 1. No new connections.
  asio::post(accept_strand, [this] {
    beast::error_code ec;
    acceptor.close(ec);
  });
  // 2. Connections between requests close now; busy ones close after their response.
  for_each_connection([](const std::shared_ptr<Connection>& c) {
    asio::post(c->tcp().get_executor(), [c] {
      if (c->idle) c->tcp().cancel();
    });
  });
  // 3. Grace period for in-flight requests.
  if (!wait_sessions_until(Clock::now() + std::chrono::seconds(options.shutdown_grace_s))) {
    spdlog::warn("http stop: grace period over, closing remaining connections");
    abandon = true;
    for_each_connection([](const std::shared_ptr<Connection>& c) {
      asio::post(c->tcp().get_executor(), [c] { c->tcp().close(); });
    });
  }
  // 4. Workers finish what they run (queued work is answered unrun once abandoned).
  pool->stop();
  wait_sessions_until(Clock::now() + std::chrono::seconds(5));
  metrics::remove_gauge("healthd_worker_queue_depth", {});
  metrics::remove_gauge("healthd_worker_busy", {});

  work.reset();
  ioc.stop();
  for (auto& t : io_threads)
    if (t.joinable()) t.join();
  {
    std::lock_guard lock(state_mu);
    stopped = true;
  }
  state_cv.notify_all();
}

// ---------------------------------------------------------------------------------------------

Server::Server(ServerOptions options, Handler handler, FastHandler fast)
    : impl_(std::make_unique<Impl>(std::move(options), std::move(handler), std::move(fast))) {}

Server::~Server() { stop(); }

void Server::start() { impl_->start(); }

uint16_t Server::port() const { return impl_->bound_port; }

void Server::stop() { impl_->stop(); }

void Server::run_until_signal() {
  bool need_start;
  {
    std::lock_guard lock(impl_->state_mu);
    if (impl_->stopped) return;
    need_start = !impl_->started;
  }
  // Installed before start() so a signal during startup is not lost to the default action.
  asio::signal_set signals(impl_->ioc, SIGINT, SIGTERM);
  signals.async_wait([impl = impl_.get()](const beast::error_code& ec, int signo) {
    if (ec) return;
    spdlog::info("http: signal {} received, stopping", signo);
    {
      std::lock_guard lock(impl->state_mu);
      impl->stop_requested = true;
    }
    impl->state_cv.notify_all();
  });
  if (need_start) start();
  {
    std::unique_lock lock(impl_->state_mu);
    impl_->state_cv.wait(lock, [this] { return impl_->stop_requested || impl_->stopped; });
  }
  stop();  // io threads are joined afterwards, so dropping the pending wait below is safe
  beast::error_code ec;
  signals.cancel(ec);
}

}  // namespace healthd::http
