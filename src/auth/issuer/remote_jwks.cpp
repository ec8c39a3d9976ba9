#include "auth/issuer/remote_jwks.h"

namespace healthd::auth::issuer {

RemoteJwks::RemoteJwks(HttpGet http_get, int64_t ttl_s, int64_t min_refetch_s)
    : http_get_(std::move(http_get)), ttl_s_(ttl_s), min_refetch_s_(min_refetch_s) {}

std::optional<Jwk> RemoteJwks::lookup(const std::vector<Jwk>& keys, std::string_view kid) {
  for (const auto& k : keys)
    if (k.kid == kid) return k;
  return std::nullopt;
}

std::optional<Jwk> RemoteJwks::find(const std::string& url, std::string_view kid, int64_t now, std::string* error) {
  {
    std::lock_guard lock(mutex_);
    Entry& e = entries_[url];
    bool fresh = e.loaded && now - e.fetched_at < ttl_s_;
    std::optional<Jwk> hit = lookup(e.keys, kid);
    bool may_refetch = now - e.attempted_at >= min_refetch_s_ || e.attempted_at == 0;
    if ((hit && fresh) || !may_refetch) {
      if (!hit && error)
        *error = e.loaded ? "no key with kid '" + std::string(kid) + "' in the client's JWKS at " + url
                          : "the client's JWKS could not be fetched from " + url + " (retried later)";
      return hit;
    }
    e.attempted_at = now;
  }
  // Fetch without holding the lock (the fetch may be slow).
  std::optional<std::string> body = http_get_ ? http_get_(url) : std::nullopt;
  std::string why;
  std::optional<std::vector<Jwk>> keys = body ? parse_jwks(*body, &why) : std::nullopt;
  std::lock_guard lock(mutex_);
  Entry& e = entries_[url];
  if (keys) {
    e.keys = std::move(*keys);
    e.fetched_at = now;
    e.loaded = true;
  }
  std::optional<Jwk> hit = lookup(e.keys, kid);
  if (!hit && error) {
    if (!body)
      *error = "the client's JWKS could not be fetched from " + url;
    else if (!keys)
      *error = "the client's JWKS at " + url + " is not valid: " + why;
    else
      *error = "no key with kid '" + std::string(kid) + "' in the client's JWKS at " + url;
  }
  return hit;
}

}  // namespace healthd::auth::issuer
