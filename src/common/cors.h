// CORS (Fetch standard) for any transport: preflight answers and the headers of actual
// responses. A policy with no origins is disabled.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "common/request.h"

namespace healthd {

struct CorsPolicy {
  std::vector<std::string> origins;  // "https://app.example.org", or "*" for any origin
  std::vector<std::string> headers;  // request headers a client may send; "*" = any requested
  std::vector<std::string> methods;  // "*" = any; empty = the CORS-safelisted GET, HEAD, POST
  int max_age_s = 0;                 // preflight cache time; 0 = no Access-Control-Max-Age
  bool allow_credentials = false;    // cookies/Authorization from browsers
  bool enabled() const { return !origins.empty(); }
};

// Preflight (OPTIONS with Origin and Access-Control-Request-Method): the full 204 answer,
// or a 403 OperationOutcome when the origin, method or a requested header is not allowed.
// nullopt when the request is not a preflight or the policy is disabled.
std::optional<Response> cors_preflight(const CorsPolicy& policy, const Request& req);

// For an allowed Origin: Access-Control-Allow-Origin (the origin itself, or * when the policy
// allows any origin without credentials), Access-Control-Expose-Headers and
// Access-Control-Allow-Credentials. Whenever the policy is enabled and the answer depends on
// the Origin, "Vary: Origin" is added too (also when the origin is refused or absent), so
// shared caches never serve one origin's answer to another.
void cors_apply(const CorsPolicy& policy, const Request& req, Response& res);

}  // namespace healthd
