// private_key_jwt client authentication (RFC 7523, SMART Backend Services): the client signs
// a short-lived JWT with its own key; the issuer checks it against the client's JWKS.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "auth/issuer/client_registry.h"
#include "auth/issuer/remote_jwks.h"
#include "auth/issuer/replay_cache.h"

namespace healthd::auth::issuer {

inline constexpr std::string_view kJwtBearerAssertionType = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";

struct ClientAssertionOptions {
  std::string token_url;         // the assertion's aud must be (or contain) this
  int64_t max_lifetime_s = 300;  // exp at most this far ahead
  int64_t clock_skew_s = 30;     // tolerance for exp, nbf and iat
};

class ClientAssertionVerifier {
 public:
  ClientAssertionVerifier(std::shared_ptr<const ClientRegistry> clients, ClientAssertionOptions options,
                          HttpGet http_get);

  // The client the assertion authenticates, or nullptr with *why set (an invalid_client answer).
  // client_id_param is the request's client_id ("" when absent); when given it must match.
  // Accepts RS384 and ES384 only, header kid required; each jti is accepted once.
  std::shared_ptr<const OAuthClient> verify(std::string_view assertion, std::string_view client_id_param, int64_t now,
                                            std::string* why) const;

 private:
  std::shared_ptr<const ClientRegistry> clients_;
  ClientAssertionOptions options_;
  mutable RemoteJwks remote_jwks_;  // caches, internally synchronized
  mutable ReplayCache used_ids_;
};

}  // namespace healthd::auth::issuer
