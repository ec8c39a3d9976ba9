// The HTTP/1.1 server: binds a Handler (common/request.h) to the wire.
// Boost.Asio/Beast stay inside server.cpp; this header is cheap to include.
//
// Threading: `io_threads` run the sockets; the Handler runs on a bounded worker
// pool (blocking work is fine there); the FastHandler runs on the I/O thread and
// must never block. When the pool is saturated the server answers 503 + Retry-After.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "common/request.h"

namespace healthd::http {

struct ServerOptions {
  std::string host = "127.0.0.1";
  uint16_t port = 8080;  // 0 = pick a free port (see Server::port())
  int io_threads = 2;    // threads running the Asio io_context
  int workers = 64;      // bounded worker pool for blocking work
  int max_queue = 1024;  // queued requests beyond the busy workers; over it: 503 + Retry-After
  size_t max_body_bytes = 64 << 20;
  size_t max_header_bytes = 16 << 10;
  int read_timeout_s = 30;    // to receive one request once it has begun (and to write a response)
  int idle_timeout_s = 60;    // keep-alive connection waiting for its next request
  int shutdown_grace_s = 20;  // stop() waits this long for in-flight requests
  size_t gzip_min_bytes = 1024;  // compress responses at least this big when the client accepts gzip
  // HTTPS: with both set the listener speaks only TLS 1.2+ (PEM certificate chain and private
  // key; start() throws when a file is missing or unusable). Request::origin is then https://.
  std::string tls_cert_file;
  std::string tls_key_file;
  // Routes that take large uploads: given the method and the (percent-decoded) path, a rule
  // sends bodies above its memory_max to a file (Request::body_file) with its own size limit
  // instead of max_body_bytes. nullopt (or no function): bodies are read into memory.
  std::function<std::optional<FileBodyRule>(std::string_view method, std::string_view path)> file_body;
};

using Handler = std::function<Response(Request&)>;                     // runs on the worker pool
using FastHandler = std::function<std::optional<Response>(Request&)>;  // runs on the I/O thread

class Server {
 public:
  Server(ServerOptions options, Handler handler, FastHandler fast = {});
  ~Server();  // stop()

  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds, listens and starts the threads; returns at once. Throws std::runtime_error
  // if the address cannot be bound or the TLS certificate/key cannot be loaded.
  void start();
  uint16_t port() const;  // the bound port, valid after start()

  // Blocks until SIGINT/SIGTERM (or stop() from another thread), then stops gracefully.
  void run_until_signal();

  // Graceful: stop accepting, let in-flight requests finish and write their responses
  // (up to shutdown_grace_s), close idle keep-alive connections, join all threads.
  // Idempotent; must not be called from a handler.
  void stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace healthd::http
