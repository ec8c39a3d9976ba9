// OAuth clients of the built-in issuer: how they are declared and what the registry keeps.
#pragma once

#include <cstdint>
#include <set>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "auth/jwt.h"

namespace healthd::auth::issuer {

// A client as the config, the management API or the clients file declares it.
struct ClientConfig {
  std::string id;
  std::string secret;       // plain text, hashed on load; or
  std::string secret_hash;  // "pbkdf2-sha256$iter$salt$hash"
  std::set<std::string> roles;
  std::vector<std::string> scopes;  // allowed scopes; empty = any
  std::string jwks_json;            // inline JWKS {"keys":[...]} for private_key_jwt; or
  std::string jwks_url;             // where to fetch it
  int64_t token_lifetime_s = 0;     // 0 = the endpoint's default
};

// A registered client, validated. Shared immutably (std::shared_ptr<const OAuthClient>).
struct OAuthClient {
  std::string id;
  std::string secret_hash;  // empty: no secret (private_key_jwt only)
  std::set<std::string> roles;
  std::vector<std::string> allowed_scopes;
  std::string jwks_json;  // compact JSON text, or empty
  std::string jwks_url;
  int64_t token_lifetime_s = 0;
  bool from_config = false;
  std::vector<Jwk> inline_keys;  // parsed jwks_json

  bool has_secret() const { return !secret_hash.empty(); }
  bool has_keys() const { return !jwks_json.empty() || !jwks_url.empty(); }
};

// A client definition the registry refuses; the message suits a 400 answer.
class InvalidClientDefinition : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

inline constexpr size_t kMinSecretLength = 16;
inline constexpr int64_t kMaxTokenLifetimeSeconds = 86400;

// 3 to 64 characters of [A-Za-z0-9-_.]
bool is_valid_client_id(std::string_view id);
// RFC 6749 scope-token: one or more of %x21 / %x23-5B / %x5D-7E.
bool is_valid_scope_token(std::string_view scope);

// Validates a definition and builds the client (hashing a plain secret).
// Throws InvalidClientDefinition. With `credential_checked_later`, a client without secret or
// keys passes (an API update may keep the previous secret): call require_credential then.
OAuthClient build_client(const ClientConfig& def, bool from_config, bool credential_checked_later = false);
// Throws InvalidClientDefinition unless the client has a secret, jwks or jwksUrl.
void require_credential(const OAuthClient& client);

}  // namespace healthd::auth::issuer
