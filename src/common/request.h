// Transport-independent request and response: what every service takes and returns.
// The HTTP layer builds a Request from the wire and writes a Response back; services,
// bundles, the MedTech pipeline and the CLI use the same types without any HTTP code.
#pragma once

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

struct Request {
  std::string method;   // upper case: GET, POST, ...
  std::string path;     // percent-decoded path, no query string
  std::vector<std::pair<std::string, std::string>> query;  // decoded, in order
  Headers headers;
  std::string body;
  std::string request_id;
  std::string origin;   // "http://host:port" as the client addressed us (for absolute URLs)
  std::string client_ip;  // peer address as the server saw it (for the audit log)
  // The authenticated caller (set by the platform once the bearer token is validated); null on
  // open routes and for in-process callers that act with full rights.
  std::shared_ptr<const Principal> principal;

  // Filled by the dispatcher for the service that handles the request.
  std::string base_url;               // absolute base URL of the service
  std::vector<std::string> segments;  // path segments below the service base

  // First value of a query parameter, or nullopt.
  std::optional<std::string_view> param(std::string_view name) const;
};

struct Response {
  int status = 200;
  Headers headers;
  std::string body;

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
