// JWK / JWKS parsing (RFC 7517, RFC 7518 section 6): RSA n/e and EC P-256/P-384 x/y public keys.
#include "auth/openssl_key.h"

namespace healthd::auth {
namespace {

std::optional<std::string> b64_member(const json::Value& jwk, const char* name) {
  auto text = json::get_string(jwk, name);
  if (!text) return std::nullopt;
  return base64url_decode(*text);
}

std::optional<Jwk> fail(std::string* error, std::string text) {
  if (error) *error = std::move(text);
  return std::nullopt;
}

}  // namespace

std::optional<Jwk> parse_jwk(const json::Value& jwk, std::string* error) {
  if (!jwk.IsObject()) return fail(error, "JWK is not an object");
  std::string kty(json::get_string(jwk, "kty").value_or(""));
  std::string use(json::get_string(jwk, "use").value_or("sig"));
  if (use != "sig") return fail(error, "JWK is not a signature key");
  Jwk out;
  out.kid = json::get_string(jwk, "kid").value_or("");
  out.alg = json::get_string(jwk, "alg").value_or("");
  if (!out.alg.empty() && !parse_alg(out.alg)) return fail(error, "unsupported JWK alg " + out.alg);

  std::string key_error;
  if (kty == "RSA") {
    auto n = b64_member(jwk, "n");
    auto e = b64_member(jwk, "e");
    if (!n || !e) return fail(error, "RSA JWK needs base64url n and e");
    out.key = OpenSslKey::rsa_public(*n, *e, &key_error);
  } else if (kty == "EC") {
    std::string crv(json::get_string(jwk, "crv").value_or(""));
    auto x = b64_member(jwk, "x");
    auto y = b64_member(jwk, "y");
    if (!x || !y) return fail(error, "EC JWK needs base64url x and y");
    out.key = OpenSslKey::ec_public(crv, *x, *y, &key_error);
  } else {
    return fail(error, "unsupported JWK kty '" + kty + "'");
  }
  if (!out.key) return fail(error, key_error);
  if (!out.alg.empty() && !static_cast<const OpenSslKey&>(*out.key).fits(*parse_alg(out.alg))) {
    return fail(error, "JWK alg " + out.alg + " does not fit the key");
  }
  return out;
}

std::optional<std::vector<Jwk>> parse_jwks(std::string_view json_text, std::string* error) {
  json::Document doc;
  if (!json::parse(json_text, doc, error)) return std::nullopt;
  const json::Value* keys = json::get_member(doc, "keys");
  if (!keys || !keys->IsArray()) {
    if (error) *error = "JWKS has no keys array";
    return std::nullopt;
  }
  std::vector<Jwk> out;
  for (const auto& k : keys->GetArray()) {
    if (auto jwk = parse_jwk(k)) out.push_back(std::move(*jwk));  // unsupported keys are skipped
  }
  return out;
}

}  // namespace healthd::auth
