#include "auth/token_validator.h"

#include <chrono>

#include "auth/oidc_claims.h"

namespace healthd::auth {
namespace {

TokenValidator::Result reject(std::string reason) {
  TokenValidator::Result r;
  r.error = std::move(reason);
  return r;
}

}  // namespace

TokenValidator::TokenValidator(std::shared_ptr<const SigningKeys> builtin_keys, std::string builtin_issuer,
                               std::vector<std::string> external_authorities, HttpGet http_get,
                               ValidatorOptions options)
    : builtin_keys_(std::move(builtin_keys)), builtin_issuer_(std::move(builtin_issuer)), options_(std::move(options)) {
  OidcProvider::Options provider_options{options_.min_refresh_interval_s, options_.jwks_max_age_s};
  for (auto& authority : external_authorities) {
    providers_.push_back(std::make_unique<OidcProvider>(std::move(authority), http_get, provider_options));
  }
}

int64_t TokenValidator::now() const {
  if (options_.now_s) return options_.now_s();
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::vector<Jwk> TokenValidator::candidate_keys(std::string_view iss, const std::string& kid, int64_t now,
                                                std::string* error) const {
  *error = "unknown signing key";
  if (builtin_keys_ && !builtin_issuer_.empty() && iss == builtin_issuer_) {
    auto key = builtin_keys_->public_key(kid);
    if (!key) return {};
    return {Jwk{kid, "RS256", key}};
  }
  // Issuers already discovered first (no network), then discover the others (rate-limited).
  OidcProvider* provider = nullptr;
  for (const auto& p : providers_) {
    if (p->known_issuer() == iss) provider = p.get();
  }
  for (size_t i = 0; !provider && i < providers_.size(); ++i) {
    if (!providers_[i]->known_issuer() && providers_[i]->issuer(now) == iss) provider = providers_[i].get();
  }
  if (!provider) {
    *error = "issuer not accepted";
    return {};
  }
  return provider->keys_for(kid, now);
}

TokenValidator::Result TokenValidator::validate(std::string_view token,
                                                const std::vector<std::string>& accepted_audiences) const {
  try {
    return check(token, accepted_audiences);
  } catch (const std::exception&) {
    return reject("token could not be validated");
  }
}

TokenValidator::Result TokenValidator::check(std::string_view token,
                                             const std::vector<std::string>& accepted_audiences) const {
  if (token.empty() || token.size() > options_.max_token_bytes) return reject("malformed token");
  std::string error;
  auto jwt = decode_jwt(token, &error);
  if (!jwt) return reject("malformed token: " + error);
  if (!jwt->alg) return reject("unsupported token algorithm");
  auto iss = json::get_string(jwt->claims, "iss");
  if (!iss || iss->empty()) return reject("token has no issuer");

  int64_t now = this->now();
  auto keys = candidate_keys(*iss, jwt->kid, now, &error);
  if (keys.empty()) return reject(error);
  bool verified = false;
  for (const auto& jwk : keys) {
    if (!jwk.alg.empty() && jwk.alg != jwt->alg_text) continue;  // a key restricted to another algorithm
    if (verify_jwt_signature(*jwt, *jwk.key)) {
      verified = true;
      break;
    }
  }
  if (!verified) return reject("invalid signature");

  // Claims are trusted from here on.
  const json::Value& claims = jwt->claims;
  int64_t skew = options_.clock_skew_s;
  auto exp = numeric_date_claim(claims, "exp");
  if (!exp) return reject("token has no expiry");
  if (now >= *exp + skew) return reject("token expired");
  if (json::get_member(claims, "nbf")) {
    auto nbf = numeric_date_claim(claims, "nbf");
    if (!nbf) return reject("malformed token: nbf is not a number");
    if (now + skew < *nbf) return reject("token not yet valid");
  }
  if (!audience_accepted(claims, accepted_audiences)) return reject("audience not accepted");

  Result result;
  result.ok = true;
  result.principal = principal_from_claims(claims);
  return result;
}

}  // namespace healthd::auth
