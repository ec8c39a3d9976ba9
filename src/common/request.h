// Transport-independent request and response: what every service takes and returns.
// The HTTP layer builds a Request from the wire and writes a Response back; services,
// bundles, the MedTech pipeline and the CLI use the same types without any HTTP code.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace healthd {

struct Principal;

// Ordered header list with case-insensitive lookup (names are stored as given).
class Headers {
 public:
  using Entry = std::pair<std::string, std::string>;

  // First value of the header, or nullopt.
  std::optional<std::string_view> get(std::string_view name) const;
  bool has(std::string_view name) const { return get(name).has_value(); }
  // Replaces any existing values of the header.
  void set(std::string name, std::string value);
  void add(std::string name, std::string value);
  void remove(std::string_view name);

  const std::vector<Entry>& entries() const { return entries_; }

 private:
  std::vector<Entry> entries_;
};

bool iequals(std::string_view a, std::string_view b);

// A request body the HTTP layer wrote to a file instead of memory (routes that ask for it, see
// FileBodyRule). The file is removed when the last reference goes.
struct BodyFile {
  std::string path;
  uint64_t size = 0;
  BodyFile() = default;
  BodyFile(const BodyFile&) = delete;
  BodyFile& operator=(const BodyFile&) = delete;
  ~BodyFile();
};

// How the HTTP layer takes the body of a route that accepts large uploads: bodies above
// memory_max bytes go to a new file in dir (same file system as where the service keeps them),
// up to max_bytes; the read timeout then counts from the last bytes received, not the start.
struct FileBodyRule {
  std::string dir;
  uint64_t max_bytes = 0;
  uint64_t memory_max = 1 << 20;
};

struct Request {
  std::string method;   // upper case: GET, POST, ...
  std::string path;     // percent-decoded path, no query string
  std::vector<std::pair<std::string, std::string>> query;  // decoded, in order
  Headers headers;
  std::string body;
  std::shared_ptr<BodyFile> body_file;  // set (and body empty) when the body went to a file
  std::string request_id;
  std::string origin;   // "http://host:port" as the client addressed us (for absolute URLs)
  std::string client_ip;  // peer address as the server saw it (for the audit log)
  // The authenticated caller (set by the platform once the bearer token is validated); null on
  // open routes and for in-process callers that act with full rights.
  std::shared_ptr<const Principal> principal;
  // Runs a task on a free worker of the server's pool; false (task not taken) when none is free.
  // Lets a handler spread independent work (a batch's entries); unset for in-process callers.
  std::function<bool(std::function<void()>)> run_on_pool;

  // Filled by the dispatcher for the service that handles the request.
  std::string base_url;               // absolute base URL of the service
  std::vector<std::string> segments;  // path segments below the service base

  // First value of a query parameter, or nullopt.
  std::optional<std::string_view> param(std::string_view name) const;
};

// A response body produced piece by piece while it is sent (a study retrieve of gigabytes), so
// neither the service nor the HTTP layer holds it whole. The HTTP layer calls next() until it
// returns false, one call at a time, from worker threads.
class BodySource {
 public:
  virtual ~BodySource() = default;
  // The total length when known before the first byte (sent as Content-Length); otherwise the
  // body is sent chunked.
  virtual std::optional<uint64_t> size() const = 0;
  // Replaces out with the next bytes (about max_bytes at most, never empty while more follow);
  // false, with out empty, once the body is complete. Throws when the rest cannot be produced:
  // the status line is gone by then, so the HTTP layer closes the connection.
  virtual bool next(std::string& out, size_t max_bytes) = 0;
};

struct Response {
  int status = 200;
  Headers headers;
  std::string body;
  // When set, the body comes from here instead of `body` (which stays empty).
  std::shared_ptr<BodySource> stream;

  // Labels for metrics and the request log; set by whoever routes the request.
  std::string service = "-";   // e.g. "default/fhir/default"
  std::string route = "other"; // e.g. "fhir.read"
};

// Splits "/a/b/c" into {"a","b","c"} (empty segments dropped).
std::vector<std::string> split_path(std::string_view path);
// Percent-decodes; '+' is left as is for paths, decoded to ' ' when form is true.
std::string percent_decode(std::string_view s, bool form = false);
// Parses "a=1&b=2" into decoded pairs.
std::vector<std::pair<std::string, std::string>> parse_query(std::string_view qs);
std::string percent_encode(std::string_view s);

}  // namespace healthd
