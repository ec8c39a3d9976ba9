// JWS compact serialization (RFC 7515) for JWTs: algorithm names, decode, verify, sign.
#include <set>
#include <stdexcept>

#include "auth/openssl_key.h"

namespace healthd::auth {
namespace {

std::optional<DecodedJwt> fail(std::string* error, const char* text) {
  if (error) *error = text;
  return std::nullopt;
}

bool has_duplicate_members(const json::Value& obj) {
  std::set<std::string_view> seen;
  for (const auto& m : obj.GetObject()) {
    if (!seen.emplace(m.name.GetString(), m.name.GetStringLength()).second) return true;
  }
  return false;
}

// base64url JSON object part; duplicate member names are refused (RFC 7515 section 5.2).
bool decode_object(std::string_view part, json::Document& doc) {
  auto text = base64url_decode(part);
  return text && json::parse(*text, doc) && doc.IsObject() && !has_duplicate_members(doc);
}

}  // namespace

std::optional<JwtAlg> parse_alg(std::string_view name) {
  if (name == "RS256") return JwtAlg::RS256;
  if (name == "RS384") return JwtAlg::RS384;
  if (name == "ES256") return JwtAlg::ES256;
  if (name == "ES384") return JwtAlg::ES384;
  return std::nullopt;
}

const char* alg_name(JwtAlg alg) {
  switch (alg) {
    case JwtAlg::RS256: return "RS256";
    case JwtAlg::RS384: return "RS384";
    case JwtAlg::ES256: return "ES256";
    case JwtAlg::ES384: return "ES384";
  }
  return "";
}

std::optional<DecodedJwt> decode_jwt(std::string_view token, std::string* error) {
  size_t dot1 = token.find('.');
  size_t dot2 = dot1 == std::string_view::npos ? dot1 : token.find('.', dot1 + 1);
  if (dot2 == std::string_view::npos || token.find('.', dot2 + 1) != std::string_view::npos) {
    return fail(error, "token is not three dot-separated parts");
  }
  DecodedJwt jwt;
  if (!decode_object(token.substr(0, dot1), jwt.header)) return fail(error, "token header is not a JSON object");
  if (!decode_object(token.substr(dot1 + 1, dot2 - dot1 - 1), jwt.claims)) {
    return fail(error, "token payload is not a JSON object");
  }
  auto signature = base64url_decode(token.substr(dot2 + 1));
  if (!signature) return fail(error, "token signature is not base64url");
  auto alg = json::get_string(jwt.header, "alg");
  if (!alg) return fail(error, "token header has no alg");
  const json::Value* kid = json::get_member(jwt.header, "kid");
  if (kid && !kid->IsString()) return fail(error, "token header kid is not a string");
  if (json::get_member(jwt.header, "crit")) return fail(error, "token has unsupported critical headers");

  jwt.alg_text = *alg;
  jwt.alg = parse_alg(*alg);
  if (kid) jwt.kid = kid->GetString();
  jwt.signing_input = std::string(token.substr(0, dot2));
  jwt.signature = std::move(*signature);
  return jwt;
}

bool verify_jwt_signature(const DecodedJwt& jwt, const Key& public_key) {
  const auto* key = dynamic_cast<const OpenSslKey*>(&public_key);
  return key && jwt.alg && key->verify(*jwt.alg, jwt.signing_input, jwt.signature);
}

std::string sign_jwt(std::string_view claims_json, const Key& private_key, JwtAlg alg, const std::string& kid) {
  json::Document claims;
  if (!json::parse(claims_json, claims) || !claims.IsObject()) {
    throw std::invalid_argument("JWT claims must be a JSON object");
  }
  const auto* key = dynamic_cast<const OpenSslKey*>(&private_key);
  if (!key || !key->is_private() || !key->fits(alg)) {
    throw std::invalid_argument(std::string("key cannot sign ") + alg_name(alg));
  }
  json::Document header(rapidjson::kObjectType);
  auto& a = header.GetAllocator();
  header.AddMember("alg", json::str(alg_name(alg), a), a);
  header.AddMember("typ", "JWT", a);
  if (!kid.empty()) header.AddMember("kid", json::str(kid, a), a);

  std::string input = base64url_encode(json::to_string(header)) + "." + base64url_encode(claims_json);
  auto signature = key->sign(alg, input);
  if (!signature) throw std::runtime_error("JWT signing failed");
  return input + "." + base64url_encode(*signature);
}

}  // namespace healthd::auth
