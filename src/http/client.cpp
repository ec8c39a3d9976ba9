// Blocking calls built on Asio's asynchronous operations: each operation runs on a private
// io_context until it completes or the call's deadline passes (then the socket is closed).
#include "http/client.h"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

#include <chrono>
#include <exception>
#include <optional>
#include <string_view>

#include "http/tls.h"

namespace healthd::http {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
namespace ssl = boost::asio::ssl;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

namespace {

struct Url {
  bool tls = false;
  std::string host;      // without brackets
  std::string port;
  std::string authority; // Host header
  std::string target;    // path and query
};

std::optional<Url> parse_url(std::string_view text, std::string& error) {
  Url url;
  if (text.starts_with("https://")) {
    url.tls = true;
    text.remove_prefix(8);
  } else if (text.starts_with("http://")) {
    text.remove_prefix(7);
  } else {
    error = "unsupported URL (http:// or https:// expected)";
    return std::nullopt;
  }
  size_t end = text.find_first_of("/?#");
  std::string_view authority = text.substr(0, end);
  std::string_view rest = end == std::string_view::npos ? std::string_view() : text.substr(end);
  rest = rest.substr(0, rest.find('#'));
  url.target = rest.empty() || rest[0] != '/' ? "/" + std::string(rest) : std::string(rest);
  if (authority.find('@') != std::string_view::npos) {
    error = "credentials in URLs are not supported";
    return std::nullopt;
  }
  url.authority = authority;
  std::string_view port;
  if (authority.starts_with("[")) {
    size_t close = authority.find(']');
    if (close == std::string_view::npos) {
      error = "malformed IPv6 address in URL";
      return std::nullopt;
    }
    url.host = authority.substr(1, close - 1);
    if (close + 1 < authority.size() && authority[close + 1] == ':') port = authority.substr(close + 2);
  } else {
    size_t colon = authority.rfind(':');
    url.host = authority.substr(0, colon);
    if (colon != std::string_view::npos) port = authority.substr(colon + 1);
  }
  url.port = port.empty() ? (url.tls ? "443" : "80") : std::string(port);
  if (url.host.empty() || url.port.find_first_not_of("0123456789") != std::string::npos) {
    error = "malformed URL authority";
    return std::nullopt;
  }
  return url;
}

// Runs one asynchronous operation to completion or until the deadline (then `abort` closes
// the socket and the operation's error is replaced by timed_out).
class Runner {
 public:
  Runner(asio::io_context& ioc, Clock::time_point deadline) : ioc_(ioc), deadline_(deadline) {}

  template <class Start, class Abort>
  beast::error_code run(Start start, Abort abort) {
    std::optional<beast::error_code> result;
    start([&result](beast::error_code ec, auto&&...) { result = ec; });
    ioc_.restart();
    ioc_.run_until(deadline_);
    if (result) return *result;
    abort();
    ioc_.restart();
    ioc_.run();
    return asio::error::timed_out;
  }

 private:
  asio::io_context& ioc_;
  Clock::time_point deadline_;
};

template <class Stream>
void exchange(Stream& stream, tcp::socket& socket, Runner& runner, const Url& url,
              bhttp::request<bhttp::string_body>& request, HttpResult& result, size_t max_bytes) {
  auto abort = [&socket] {
    beast::error_code ignored;
    socket.close(ignored);
  };
  beast::error_code ec = runner.run([&](auto done) { bhttp::async_write(stream, request, done); }, abort);
  if (ec) {
    result.error = "sending the request to " + url.authority + " failed: " + ec.message();
    return;
  }
  beast::flat_buffer buffer;
  bhttp::response_parser<bhttp::string_body> parser;
  parser.header_limit(64 << 10);
  parser.body_limit(max_bytes);
  ec = runner.run([&](auto done) { bhttp::async_read_header(stream, buffer, parser, done); }, abort);
  // Beast 1.74's response parser does not apply body_limit to a Content-Length body.
  if (!ec && parser.content_length() && *parser.content_length() > max_bytes) ec = bhttp::error::body_limit;
  if (!ec && !parser.is_done())
    ec = runner.run([&](auto done) { bhttp::async_read(stream, buffer, parser, done); }, abort);
  if (ec == bhttp::error::body_limit) {
    result.error = "response from " + url.authority + " exceeds " + std::to_string(max_bytes) + " bytes";
    return;
  }
  if (ec && !(ec == ssl::error::stream_truncated && parser.is_done())) {
    result.error = "reading the response from " + url.authority + " failed: " + ec.message();
    return;
  }
  auto& message = parser.get();
  for (const auto& field : message)
    result.headers.add(std::string(field.name_string()), std::string(field.value()));
  result.body = std::move(message.body());
  result.status = static_cast<int>(message.result_int());
}

HttpResult call(bhttp::verb method, const std::string& url_text, const std::string* body, const Headers& headers,
                int timeout_ms, const std::string& ca_file, size_t max_bytes = kMaxClientResponseBytes) {
  HttpResult result;
  try {
    std::optional<Url> url = parse_url(url_text, result.error);
    if (!url) return result;

    bhttp::request<bhttp::string_body> request(method, url->target, 11);
    request.set(bhttp::field::host, url->authority);
    request.set(bhttp::field::user_agent, "healthd");
    request.set(bhttp::field::connection, "close");
    for (const auto& [name, value] : headers.entries()) request.set(name, value);
    if (body) {
      if (!headers.has("Content-Type")) request.set(bhttp::field::content_type, "application/x-www-form-urlencoded");
      request.body() = *body;
      request.prepare_payload();
    }

    asio::io_context ioc;
    Runner runner(ioc, Clock::now() + std::chrono::milliseconds(timeout_ms));
    tcp::resolver resolver(ioc);
    tcp::resolver::results_type endpoints;
    beast::error_code ec = runner.run(
        [&](auto done) {
          resolver.async_resolve(url->host, url->port, [&endpoints, done](beast::error_code e, auto results) mutable {
            endpoints = std::move(results);
            done(e);
          });
        },
        [&] { resolver.cancel(); });
    if (ec) {
      result.error = "cannot resolve " + url->host + ": " + ec.message();
      return result;
    }

    tcp::socket socket(ioc);
    auto abort = [&socket] {
      beast::error_code ignored;
      socket.close(ignored);
    };
    ec = runner.run([&](auto done) { asio::async_connect(socket, endpoints, done); }, abort);
    if (ec) {
      result.error = "cannot connect to " + url->authority + ": " + ec.message();
      return result;
    }
    if (!url->tls) {
      exchange(socket, socket, runner, *url, request, result, max_bytes);
    } else {
      TlsContextPtr raw = new_client_tls_context(ca_file, result.error);
      if (!raw) return result;
      ssl::context tls(raw.release());
      ssl::stream<tcp::socket&> secure(socket, tls);
      if (!tls_expect_peer(secure.native_handle(), url->host)) {
        result.error = "cannot set up TLS peer verification for " + url->host + ": " + tls_error_queue();
        return result;
      }
      ec = runner.run([&](auto done) { secure.async_handshake(ssl::stream_base::client, done); }, abort);
      if (ec) {
        std::string why = tls_verify_error(secure.native_handle());
        result.error = "TLS handshake with " + url->authority + " failed: " + (why.empty() ? ec.message() : why);
        return result;
      }
      exchange(secure, socket, runner, *url, request, result, max_bytes);
    }
    if (!result.error.empty()) {
      result.status = 0;
      result.body.clear();
      result.headers = Headers();
    }
  } catch (const std::exception& e) {
    result = HttpResult{};
    result.error = std::string("http client failure: ") + e.what();
  }
  return result;
}

}  // namespace

HttpResult http_request(const std::string& method, const std::string& url, const std::string* body,
                        const Headers& headers, int timeout_ms, size_t max_response_bytes, const std::string& ca_file) {
  bhttp::verb verb = bhttp::string_to_verb(method);
  if (verb == bhttp::verb::unknown) {
    HttpResult r;
    r.error = "unknown HTTP method '" + method + "'";
    return r;
  }
  return call(verb, url, body, headers, timeout_ms, ca_file, max_response_bytes);
}

HttpResult http_get(const std::string& url, int timeout_ms, const Headers& headers, const std::string& ca_file) {
  return call(bhttp::verb::get, url, nullptr, headers, timeout_ms, ca_file);
}

HttpResult http_post_form(const std::string& url, const std::string& body, const Headers& headers, int timeout_ms,
                          const std::string& ca_file) {
  return call(bhttp::verb::post, url, &body, headers, timeout_ms, ca_file);
}

}  // namespace healthd::http
