#include "http/access_log.h"

#include <spdlog/spdlog.h>

#include <array>
#include <random>
#include <unordered_map>

#include "common/metrics.h"

namespace healthd::http {

namespace {

bool request_id_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_' ||
         c == '.' || c == ':';
}

// Paths are percent-decoded and may hold control characters; keep log lines one line.
std::string_view printable(std::string_view s, std::string& scratch) {
  bool clean = true;
  for (unsigned char c : s)
    if (c < 0x20 || c == 0x7f) clean = false;
  if (clean) return s;
  scratch.clear();
  for (unsigned char c : s) scratch.push_back(c < 0x20 || c == 0x7f ? '?' : static_cast<char>(c));
  return scratch;
}

struct RouteMetrics {
  metrics::Counter* requests;
  metrics::Histogram* duration;
};

// The registry takes a lock per lookup; each thread keeps the references it has seen.
RouteMetrics& route_metrics(std::string_view service, std::string_view route, int status) {
  thread_local std::unordered_map<std::string, RouteMetrics> cache;
  thread_local std::string key;
  key.assign(service);
  key.push_back('\x1f');
  key.append(route);
  key.push_back('\x1f');
  key.append(std::to_string(status));
  auto it = cache.find(key);
  if (it != cache.end()) return it->second;
  std::string s(service), r(route);
  RouteMetrics m;
  m.requests = &metrics::counter("healthd_http_requests_total", "HTTP requests answered",
                                 {{"service", s}, {"route", r}, {"status", std::to_string(status)}});
  m.duration = &metrics::histogram("healthd_http_request_duration_seconds",
                                   "Time from reading a request to writing its response",
                                   {{"service", s}, {"route", r}});
  return cache.emplace(key, m).first->second;
}

}  // namespace

std::string sanitize_request_id(std::string_view given) {
  std::string out;
  for (char c : given) {
    if (out.size() == 128) break;
    if (request_id_char(c)) out.push_back(c);
  }
  return out;
}

std::string new_request_id() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  uint64_t hi = rng(), lo = rng();
  hi = (hi & ~0xF000ull) | 0x4000ull;                             // version 4
  lo = (lo & ~(0xC000ull << 48)) | (0x8000ull << 48);              // variant 10xx
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(36, '-');
  size_t pos = 0;
  auto put = [&](uint64_t v, int nibbles) {
    for (int i = nibbles - 1; i >= 0; --i) {
      if (pos == 8 || pos == 13 || pos == 18 || pos == 23) ++pos;
      out[pos++] = kHex[(v >> (i * 4)) & 0xF];
    }
  };
  put(hi, 16);
  put(lo, 16);
  return out;
}

void record_access(const AccessRecord& r) {
  RouteMetrics& m = route_metrics(r.service, r.route, r.status);
  m.requests->inc();
  m.duration->observe(r.seconds);
  if (spdlog::should_log(spdlog::level::info)) {
    std::string scratch;
    spdlog::info("http {} {} route={} service={} status={} ms={:.3f} bytes={} rid={}", r.method,
                 printable(r.path, scratch), r.route, r.service, r.status, r.seconds * 1000.0, r.bytes,
                 r.request_id);
  }
}

void record_rejection(Rejection reason) {
  static const std::array<metrics::Counter*, 5> counters = [] {
    auto c = [](const char* reason) {
      return &metrics::counter("healthd_http_rejected_total", "Requests refused before reaching a handler",
                               {{"reason", reason}});
    };
    return std::array<metrics::Counter*, 5>{c("saturated"), c("too_large"), c("headers_too_large"),
                                            c("bad_request"), c("timeout")};
  }();
  counters[static_cast<size_t>(reason)]->inc();
}

}  // namespace healthd::http
