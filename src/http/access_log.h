// Request identity and the per-request record: one log line and the HTTP metrics.
// Kept apart from server.cpp so it compiles (and is tested) without Beast.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace healthd::http {

// The client's X-Request-Id reduced to at most 128 of [A-Za-z0-9-_.:]; empty if none survive.
std::string sanitize_request_id(std::string_view given);
// A random UUID v4, e.g. "3f2b8c1e-9a4d-4f6b-8e2a-1c5d7e9f0a3b".
std::string new_request_id();

struct AccessRecord {
  std::string_view method;
  std::string_view path;
  std::string_view service;
  std::string_view route;
  std::string_view request_id;
  int status = 0;
  double seconds = 0;
  size_t bytes = 0;  // body bytes sent (after compression)
};

// Logs one line (spdlog default logger, info) and updates
// healthd_http_requests_total and healthd_http_request_duration_seconds.
void record_access(const AccessRecord& record);

enum class Rejection { saturated, too_large, headers_too_large, bad_request, timeout };
// Counts healthd_http_rejected_total{reason}.
void record_rejection(Rejection reason);

}  // namespace healthd::http
