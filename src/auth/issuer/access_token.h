// The claims of the access tokens the issuer signs.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "auth/issuer/client.h"

namespace healthd::auth::issuer {

struct AccessTokenGrant {
  std::string issuer;                  // iss
  std::vector<std::string> audiences;  // aud: a string when one, an array when several, absent when none
  std::vector<std::string> scopes;     // scp, space separated (absent when none)
  int64_t issued_at = 0;               // iat and nbf, seconds since the epoch
  int64_t lifetime_s = 0;              // exp = iat + lifetime
  std::string jti;
};

// Claims JSON text: iss, sub, client_id, azp, appid, oid, aud, iat, nbf, exp, jti, roles, scp.
std::string access_token_claims(const OAuthClient& client, const AccessTokenGrant& grant);

}  // namespace healthd::auth::issuer
