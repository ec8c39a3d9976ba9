// A small blocking HTTP/1.1 client for outgoing calls (OpenID discovery, JWKS, `healthd load`).
// http:// and https:// (the peer is verified against the system CA store, or against
// ca_file when given); no redirects are followed; responses over 4 MB are refused unless the
// caller allows more.
// Never throws: failures come back in HttpResult::error. One connection per call.
#pragma once

#include <string>

#include "common/request.h"

namespace healthd::http {

struct HttpResult {
  int status = 0;       // 0 when error is set
  std::string body;
  Headers headers;
  std::string error;    // empty on success (any HTTP status counts as success)
};

inline constexpr size_t kMaxClientResponseBytes = 4 << 20;

HttpResult http_get(const std::string& url, int timeout_ms = 5000, const Headers& headers = {},
                    const std::string& ca_file = {});

// POST with Content-Type application/x-www-form-urlencoded (unless headers set one).
HttpResult http_post_form(const std::string& url, const std::string& body, const Headers& headers = {},
                          int timeout_ms = 5000, const std::string& ca_file = {});

// Any method, with an optional body (Content-Type from headers) and a response size limit.
HttpResult http_request(const std::string& method, const std::string& url, const std::string* body,
                        const Headers& headers = {}, int timeout_ms = 5000,
                        size_t max_response_bytes = kMaxClientResponseBytes, const std::string& ca_file = {});

}  // namespace healthd::http
