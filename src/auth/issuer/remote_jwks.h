// Client key sets fetched from a jwks_url (private_key_jwt), cached per URL. A set is
// refetched when stale, or early when an assertion names an unknown kid (key rotation), but
// never more often than min_refetch_s per URL. A failed refetch keeps the previous keys.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "auth/jwt.h"

namespace healthd::auth::issuer {

using HttpGet = std::function<std::optional<std::string>(const std::string& url)>;

class RemoteJwks {
 public:
  explicit RemoteJwks(HttpGet http_get, int64_t ttl_s = 300, int64_t min_refetch_s = 30);

  // The key named kid in the set at url, or nullopt with *error set.
  std::optional<Jwk> find(const std::string& url, std::string_view kid, int64_t now, std::string* error);

 private:
  struct Entry {
    std::vector<Jwk> keys;
    int64_t fetched_at = 0;    // last successful fetch
    int64_t attempted_at = 0;  // last attempt, successful or not
    bool loaded = false;
  };
  static std::optional<Jwk> lookup(const std::vector<Jwk>& keys, std::string_view kid);

  HttpGet http_get_;
  int64_t ttl_s_;
  int64_t min_refetch_s_;
  std::mutex mutex_;
  std::map<std::string, Entry> entries_;
};

}  // namespace healthd::auth::issuer
