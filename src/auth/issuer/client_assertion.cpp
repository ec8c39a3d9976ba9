#include "auth/issuer/client_assertion.h"

#include <optional>

#include "json/json.h"

namespace healthd::auth::issuer {

namespace {

std::optional<int64_t> int_claim(const json::Value& claims, const char* name) {
  const json::Value* v = json::get_member(claims, name);
  if (!v || !v->IsNumber()) return std::nullopt;
  if (v->IsInt64()) return v->GetInt64();
  double d = v->GetDouble();
  if (!(d > -9.0e15 && d < 9.0e15)) return std::nullopt;
  return static_cast<int64_t>(d);
}

bool audience_matches(const json::Value& claims, const std::string& token_url) {
  const json::Value* aud = json::get_member(claims, "aud");
  if (!aud) return false;
  auto same = [&](const json::Value& v) {
    return v.IsString() && std::string_view(v.GetString(), v.GetStringLength()) == token_url;
  };
  if (aud->IsString()) return same(*aud);
  if (aud->IsArray())
    for (const auto& v : aud->GetArray())
      if (same(v)) return true;
  return false;
}

}  // namespace

ClientAssertionVerifier::ClientAssertionVerifier(std::shared_ptr<const ClientRegistry> clients,
                                                 ClientAssertionOptions options, HttpGet http_get)
    : clients_(std::move(clients)), options_(std::move(options)), remote_jwks_(std::move(http_get)) {}

std::shared_ptr<const OAuthClient> ClientAssertionVerifier::verify(std::string_view assertion,
                                                                   std::string_view client_id_param, int64_t now,
                                                                   std::string* why) const {
  auto reject = [why](std::string message) {
    if (why) *why = std::move(message);
    return std::shared_ptr<const OAuthClient>();
  };
  std::string error;
  auto jwt = decode_jwt(assertion, &error);
  if (!jwt) return reject("client_assertion is not a JWT: " + error);
  if (!jwt->alg || (*jwt->alg != JwtAlg::RS384 && *jwt->alg != JwtAlg::ES384))
    return reject("client_assertion must be signed with RS384 or ES384, not '" + jwt->alg_text + "'");
  if (jwt->kid.empty()) return reject("client_assertion header has no kid");

  const json::Value& claims = jwt->claims;
  auto iss = json::get_string(claims, "iss");
  auto sub = json::get_string(claims, "sub");
  if (!iss || iss->empty() || !sub || *iss != *sub)
    return reject("client_assertion iss and sub must both be the client id");
  if (!client_id_param.empty() && client_id_param != *iss)
    return reject("client_id does not match the client_assertion's iss");

  auto client = clients_->find(*iss);
  if (!client) return reject("unknown client");
  if (!client->has_keys()) return reject("the client has no registered keys for private_key_jwt");

  std::optional<Jwk> jwk;
  if (!client->jwks_url.empty()) {
    jwk = remote_jwks_.find(client->jwks_url, jwt->kid, now, &error);
    if (!jwk) return reject(error);
  } else {
    for (const auto& k : client->inline_keys)
      if (k.kid == jwt->kid) jwk = k;
    if (!jwk) return reject("no key with kid '" + jwt->kid + "' is registered for the client");
  }
  if (!jwk->alg.empty() && jwk->alg != jwt->alg_text)
    return reject("the key '" + jwt->kid + "' is registered for " + jwk->alg + ", not " + jwt->alg_text);
  if (!jwk->key || !verify_jwt_signature(*jwt, *jwk->key)) return reject("client_assertion signature is not valid");

  // Claims are checked only once the signature is known to be the client's.
  if (!audience_matches(claims, options_.token_url))
    return reject("client_assertion aud must be the token endpoint " + options_.token_url);
  auto exp = int_claim(claims, "exp");
  if (!exp) return reject("client_assertion has no exp");
  if (*exp <= now - options_.clock_skew_s) return reject("client_assertion has expired");
  if (*exp > now + options_.max_lifetime_s + options_.clock_skew_s)
    return reject("client_assertion exp must be at most " + std::to_string(options_.max_lifetime_s) +
                  " seconds in the future");
  if (auto nbf = int_claim(claims, "nbf"); nbf && *nbf > now + options_.clock_skew_s)
    return reject("client_assertion is not valid yet (nbf)");
  if (auto iat = int_claim(claims, "iat"); iat && *iat > now + options_.clock_skew_s)
    return reject("client_assertion iat is in the future");
  auto jti = json::get_string(claims, "jti");
  if (!jti || jti->empty()) return reject("client_assertion has no jti");
  if (!used_ids_.first_use(client->id + '\n' + std::string(*jti), *exp + options_.clock_skew_s, now))
    return reject("client_assertion jti has already been used");
  return client;
}

}  // namespace healthd::auth::issuer
