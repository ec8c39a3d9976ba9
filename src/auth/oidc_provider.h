// One external OpenID Connect authority, as TokenValidator uses it: the discovery document
// (<authority>/.well-known/openid-configuration -> issuer, jwks_uri) and the JWKS, fetched lazily
// and cached. Every fetch after the first is rate-limited to one per min_refresh_interval_s, so
// tokens naming unknown kids cannot make us hammer the provider. A failed fetch keeps what we had.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "auth/jwt.h"

namespace healthd::auth {

// GET url: the body of a 200 answer, else nullopt. Injected; the HTTP client lives in another layer.
using HttpGet = std::function<std::optional<std::string>(const std::string& url)>;

class OidcProvider {
 public:
  struct Options {
    int min_refresh_interval_s = 10;
    int jwks_max_age_s = 86400;  // a key set older than this is refetched on use
  };
  OidcProvider(std::string authority, HttpGet http_get, Options options);

  const std::string& authority() const { return authority_; }
  // The discovered issuer, without network access; nullopt before a successful discovery.
  std::optional<std::string> known_issuer() const;
  // The discovered issuer, discovering first when needed (rate-limited).
  std::optional<std::string> issuer(int64_t now);
  // The keys named kid (every key when kid is empty). An unknown kid refreshes the JWKS once,
  // rate-limited; empty when there is none.
  std::vector<Jwk> keys_for(std::string_view kid, int64_t now);

 private:
  struct Cache {
    bool discovered = false;
    std::string issuer;
    std::string jwks_uri;
    std::shared_ptr<const std::vector<Jwk>> keys = std::make_shared<const std::vector<Jwk>>();
    int64_t keys_fetched_at = 0;
    std::optional<int64_t> last_fetch_at;  // any fetch attempt, for the rate limit
  };
  bool may_fetch(int64_t now) const;  // mutex_ held
  bool discover_locked(int64_t now);  // fetch_mutex_ held
  void fetch_keys_locked(int64_t now);  // fetch_mutex_ held
  std::vector<Jwk> matching(std::string_view kid) const;

  std::string authority_;
  HttpGet http_get_;
  Options options_;
  std::mutex fetch_mutex_;    // one network fetch at a time; held across HTTP calls
  mutable std::mutex mutex_;  // guards cache_; held only briefly
  Cache cache_;
};

}  // namespace healthd::auth
