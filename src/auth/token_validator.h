// Validates bearer access tokens: JWTs signed RS256/RS384/ES256/ES384 by the built-in issuer or
// by a configured external OpenID Connect authority (keys from its discovery document's JWKS).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "auth/oidc_provider.h"  // HttpGet
#include "auth/signing_keys.h"
#include "common/principal.h"

namespace healthd::auth {

struct ValidatorOptions {
  int clock_skew_s = 60;
  int min_refresh_interval_s = 10;  // per external issuer: at most one fetch per interval after the first
  int jwks_max_age_s = 86400;       // external key sets older than this are refetched on use
  std::function<int64_t()> now_s;   // seconds since epoch; the system clock when empty (tests inject one)
  size_t max_token_bytes = 16384;
};

class TokenValidator {
 public:
  // builtin_keys may be null and builtin_issuer empty when there is no built-in issuer.
  TokenValidator(std::shared_ptr<const SigningKeys> builtin_keys, std::string builtin_issuer,
                 std::vector<std::string> external_authorities, HttpGet http_get, ValidatorOptions options = {});

  struct Result {
    bool ok = false;
    std::string error;  // short reason when !ok; never echoes token content
    Principal principal;
  };
  // Never throws. Fills every Principal field but actions (the roles code computes those).
  Result validate(std::string_view token, const std::vector<std::string>& accepted_audiences) const;

 private:
  int64_t now() const;
  // The keys that may have signed a token from iss with this kid; sets *error when there are none.
  std::vector<Jwk> candidate_keys(std::string_view iss, const std::string& kid, int64_t now, std::string* error) const;
  Result check(std::string_view token, const std::vector<std::string>& accepted_audiences) const;

  std::shared_ptr<const SigningKeys> builtin_keys_;
  std::string builtin_issuer_;
  std::vector<std::unique_ptr<OidcProvider>> providers_;
  ValidatorOptions options_;
};

}  // namespace healthd::auth
