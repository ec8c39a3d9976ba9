#include "auth/oidc_provider.h"

namespace healthd::auth {
namespace {

std::optional<std::string> get(const HttpGet& http_get, const std::string& url) {
  if (!http_get) return std::nullopt;
  try {
    return http_get(url);
  } catch (...) {
    return std::nullopt;  // a failing transport is just an unavailable provider
  }
}

}  // namespace

OidcProvider::OidcProvider(std::string authority, HttpGet http_get, Options options)
    : authority_(std::move(authority)), http_get_(std::move(http_get)), options_(options) {
  while (!authority_.empty() && authority_.back() == '/') authority_.pop_back();
}

std::optional<std::string> OidcProvider::known_issuer() const {
  std::lock_guard guard(mutex_);
  if (!cache_.discovered) return std::nullopt;
  return cache_.issuer;
}

bool OidcProvider::may_fetch(int64_t now) const {
  const auto& last = cache_.last_fetch_at;
  return !last || now < *last || now - *last >= options_.min_refresh_interval_s;
}

std::optional<std::string> OidcProvider::issuer(int64_t now) {
  if (auto known = known_issuer()) return known;
  std::lock_guard fetching(fetch_mutex_);
  {
    std::lock_guard guard(mutex_);
    if (cache_.discovered) return cache_.issuer;  // another thread discovered meanwhile
    if (!may_fetch(now)) return std::nullopt;
  }
  if (!discover_locked(now)) return std::nullopt;
  return known_issuer();
}

bool OidcProvider::discover_locked(int64_t now) {
  {
    std::lock_guard guard(mutex_);
    cache_.last_fetch_at = now;
  }
  auto body = get(http_get_, authority_ + "/.well-known/openid-configuration");
  json::Document doc;
  if (!body || !json::parse(*body, doc)) return false;
  auto issuer = json::get_string(doc, "issuer");
  auto jwks_uri = json::get_string(doc, "jwks_uri");
  if (!issuer || issuer->empty() || !jwks_uri || jwks_uri->empty()) return false;
  {
    std::lock_guard guard(mutex_);
    cache_.issuer = std::string(*issuer);
    cache_.jwks_uri = std::string(*jwks_uri);
    cache_.discovered = true;
  }
  fetch_keys_locked(now);  // part of discovery: not rate-limited separately
  return true;
}

void OidcProvider::fetch_keys_locked(int64_t now) {
  std::string uri;
  {
    std::lock_guard guard(mutex_);
    uri = cache_.jwks_uri;
    cache_.last_fetch_at = now;
  }
  auto body = get(http_get_, uri);
  if (!body) return;
  auto keys = parse_jwks(*body);
  if (!keys) return;
  auto fresh = std::make_shared<const std::vector<Jwk>>(std::move(*keys));
  std::lock_guard guard(mutex_);
  cache_.keys = std::move(fresh);
  cache_.keys_fetched_at = now;
}

std::vector<Jwk> OidcProvider::matching(std::string_view kid) const {
  std::shared_ptr<const std::vector<Jwk>> keys;
  {
    std::lock_guard guard(mutex_);
    keys = cache_.keys;
  }
  std::vector<Jwk> out;
  for (const auto& k : *keys) {
    if (kid.empty() || k.kid == kid) out.push_back(k);
  }
  return out;
}

std::vector<Jwk> OidcProvider::keys_for(std::string_view kid, int64_t now) {
  if (!issuer(now)) return {};
  auto fresh_enough = [&] {
    std::lock_guard guard(mutex_);
    return now - cache_.keys_fetched_at < options_.jwks_max_age_s;
  };
  auto found = matching(kid);
  if (!found.empty() && fresh_enough()) return found;

  std::lock_guard fetching(fetch_mutex_);
  found = matching(kid);  // another thread may have refreshed while we waited
  if (!found.empty() && fresh_enough()) return found;
  {
    std::lock_guard guard(mutex_);
    if (!may_fetch(now)) return found;
  }
  fetch_keys_locked(now);
  return matching(kid);
}

}  // namespace healthd::auth
