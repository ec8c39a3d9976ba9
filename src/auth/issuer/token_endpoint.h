// POST /oauth2/token: the client_credentials grant, with the client authenticated by its
// secret (HTTP Basic or client_id + client_secret in the body) or by a private_key_jwt client
// assertion (SMART Backend Services). Answers and errors are OAuth2 JSON (RFC 6749 §5).
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "auth/issuer/client_assertion.h"
#include "auth/issuer/client_registry.h"
#include "auth/issuer/remote_jwks.h"
#include "common/request.h"

namespace healthd::auth {
class SigningKeys;
}

namespace healthd::auth::issuer {

struct TokenEndpointOptions {
  std::string issuer;     // iss of the tokens: the issuer URL (no trailing slash)
  std::string token_url;  // the aud client assertions must name; "" = issuer + "/oauth2/token"
  std::function<std::vector<std::string>()> audiences;  // aud of the tokens: every service audience
  int64_t default_lifetime_s = 3600;                    // secret clients without their own lifetime
  int64_t assertion_max_lifetime_s = 300;               // cap for private_key_jwt clients
  int64_t clock_skew_s = 30;                            // tolerance on client assertion times
  HttpGet http_get;                                     // fetches a client's jwks_url; may be empty
  std::function<int64_t()> now_s;                       // seconds since the epoch; empty = the system clock
};

class TokenEndpoint {
 public:
  TokenEndpoint(std::shared_ptr<const ClientRegistry> clients, std::shared_ptr<const SigningKeys> keys,
                TokenEndpointOptions options);

  Response handle_token_request(const Request& req) const;

  const std::string& token_url() const { return options_.token_url; }

 private:
  Response issue(const OAuthClient& client, int64_t lifetime_s, std::string_view requested_scope, int64_t now) const;
  int64_t now() const;

  std::shared_ptr<const ClientRegistry> clients_;
  std::shared_ptr<const SigningKeys> keys_;
  TokenEndpointOptions options_;
  ClientAssertionVerifier assertions_;
};

}  // namespace healthd::auth::issuer
