#include "common/cors.h"

#include <algorithm>
#include <string_view>

#include "common/outcome.h"

namespace healthd {

namespace {

constexpr const char* kExposedHeaders =
    "Location, Content-Location, ETag, Last-Modified, X-Request-Id, WWW-Authenticate, Retry-After";

bool contains(const std::vector<std::string>& list, std::string_view value) {
  return std::any_of(list.begin(), list.end(), [&](const std::string& item) { return iequals(item, value); });
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::string join(const std::vector<std::string>& list) {
  std::string out;
  for (const auto& item : list) {
    if (!out.empty()) out += ", ";
    out += item;
  }
  return out;
}

bool any_origin_wildcard(const CorsPolicy& policy) { return contains(policy.origins, "*"); }

// Configured origins may carry a trailing slash; an Origin header never does.
bool origin_listed(const CorsPolicy& policy, std::string_view origin) {
  return std::any_of(policy.origins.begin(), policy.origins.end(), [&](const std::string& item) {
    std::string_view listed = item;
    if (listed.ends_with('/')) listed.remove_suffix(1);
    return iequals(listed, origin);
  });
}

bool origin_allowed(const CorsPolicy& policy, std::string_view origin) {
  if (origin.empty()) return false;
  if (origin_listed(policy, origin)) return true;
  // "null" (sandboxed documents, file:) only when listed explicitly if credentials are allowed.
  return any_origin_wildcard(policy) && !(policy.allow_credentials && origin == "null");
}

// The answer differs per Origin unless it is a bare "*" for everyone.
bool varies_by_origin(const CorsPolicy& policy) { return !any_origin_wildcard(policy) || policy.allow_credentials; }

void add_vary(Response& res, std::string_view token) {
  auto vary = res.headers.get("Vary");
  if (!vary) {
    res.headers.set("Vary", std::string(token));
    return;
  }
  std::string current(*vary);
  if (current == "*") return;
  size_t start = 0;
  while (start <= current.size()) {
    size_t comma = current.find(',', start);
    std::string_view item = trim(std::string_view(current).substr(start, comma - start));
    if (iequals(item, token)) return;
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  res.headers.set("Vary", current + ", " + std::string(token));
}

void set_allow_origin(const CorsPolicy& policy, std::string_view origin, Response& res) {
  bool star = any_origin_wildcard(policy) && !policy.allow_credentials;
  res.headers.set("Access-Control-Allow-Origin", star ? std::string("*") : std::string(origin));
  if (policy.allow_credentials) res.headers.set("Access-Control-Allow-Credentials", "true");
}

bool method_allowed(const CorsPolicy& policy, std::string_view method) {
  if (policy.methods.empty()) return method == "GET" || method == "HEAD" || method == "POST";
  return contains(policy.methods, "*") || contains(policy.methods, method);
}

std::vector<std::string> split_list(std::string_view list) {
  std::vector<std::string> items;
  size_t start = 0;
  while (start <= list.size()) {
    size_t comma = list.find(',', start);
    std::string_view item = trim(list.substr(start, comma == std::string_view::npos ? comma : comma - start));
    if (!item.empty()) items.emplace_back(item);
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return items;
}

Response refuse(std::string diagnostics) {
  Response res = outcome_response(403, "forbidden", "CORS: " + std::move(diagnostics));
  res.route = "cors.preflight";
  return res;
}

}  // namespace

std::optional<Response> cors_preflight(const CorsPolicy& policy, const Request& req) {
  if (!policy.enabled() || req.method != "OPTIONS") return std::nullopt;
  auto origin = req.headers.get("Origin");
  auto method = req.headers.get("Access-Control-Request-Method");
  if (!origin || !method) return std::nullopt;

  if (!origin_allowed(policy, *origin)) return refuse("origin '" + std::string(*origin) + "' is not allowed");
  std::string requested_method(trim(*method));
  if (!method_allowed(policy, requested_method))
    return refuse("method '" + requested_method + "' is not allowed");
  std::vector<std::string> requested_headers = split_list(req.headers.get("Access-Control-Request-Headers").value_or(""));
  bool any_header = contains(policy.headers, "*");
  for (const auto& name : requested_headers)
    if (!any_header && !contains(policy.headers, name)) return refuse("request header '" + name + "' is not allowed");

  Response res;
  res.status = 204;
  res.route = "cors.preflight";
  set_allow_origin(policy, *origin, res);
  // A "*" in Allow-Methods/Allow-Headers is no wildcard for credentialed requests and never
  // covers Authorization: echo what was asked for instead.
  bool any_method = policy.methods.empty() || contains(policy.methods, "*");
  res.headers.set("Access-Control-Allow-Methods", any_method ? requested_method : join(policy.methods));
  if (any_header) {
    if (!requested_headers.empty()) res.headers.set("Access-Control-Allow-Headers", join(requested_headers));
  } else if (!policy.headers.empty()) {
    res.headers.set("Access-Control-Allow-Headers", join(policy.headers));
  }
  if (policy.max_age_s > 0) res.headers.set("Access-Control-Max-Age", std::to_string(policy.max_age_s));
  res.headers.set("Vary", "Origin, Access-Control-Request-Method, Access-Control-Request-Headers");
  return res;
}

void cors_apply(const CorsPolicy& policy, const Request& req, Response& res) {
  if (!policy.enabled()) return;
  if (varies_by_origin(policy)) add_vary(res, "Origin");
  auto origin = req.headers.get("Origin");
  if (!origin || !origin_allowed(policy, *origin)) return;
  set_allow_origin(policy, *origin, res);
  res.headers.set("Access-Control-Expose-Headers", kExposedHeaders);
}

}  // namespace healthd
