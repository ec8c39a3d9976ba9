// JSON Web Tokens and Keys (RFC 7515/7517/7518/7519): decode, verify, sign.
// Algorithms: RS256, RS384, ES256, ES384. OpenSSL does the cryptography.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "json/json.h"

namespace healthd::auth {

enum class JwtAlg { RS256, RS384, ES256, ES384 };
std::optional<JwtAlg> parse_alg(std::string_view name);  // nullopt for none, HS*, unknown
const char* alg_name(JwtAlg alg);

// A public or private key (an OpenSSL EVP_PKEY underneath). Immutable, shareable.
class Key {
 public:
  virtual ~Key() = default;
  virtual bool is_private() const = 0;
  virtual bool is_rsa() const = 0;       // else EC
  virtual std::string curve() const = 0; // "P-256" / "P-384" for EC, "" for RSA
  // PEM text (PKCS#8 private key, or SubjectPublicKeyInfo public key).
  virtual std::string to_pem() const = 0;
  // The public half as a JWK object JSON text: kty, kid, alg, use=sig, n/e or crv/x/y.
  virtual std::string public_jwk_json(const std::string& kid, JwtAlg alg) const = 0;
};

std::shared_ptr<const Key> generate_rsa_key(int bits = 2048);
std::shared_ptr<const Key> generate_ec_key(const std::string& curve);  // "P-256" | "P-384"
std::shared_ptr<const Key> key_from_pem(std::string_view pem, std::string* error = nullptr);

struct Jwk {
  std::string kid;
  std::string alg;  // may be empty (then any algorithm that fits the key type)
  std::shared_ptr<const Key> key;
};
// {"keys":[...]}; keys of unsupported types are skipped, malformed JSON is an error.
std::optional<std::vector<Jwk>> parse_jwks(std::string_view json_text, std::string* error = nullptr);
std::optional<Jwk> parse_jwk(const json::Value& jwk, std::string* error = nullptr);

struct DecodedJwt {
  std::string alg_text;       // header alg as given
  std::optional<JwtAlg> alg;  // nullopt when none/HS*/unknown
  std::string kid;
  json::Document header;
  json::Document claims;
  std::string signing_input;  // base64url(header) "." base64url(payload)
  std::string signature;      // raw signature bytes (JOSE form for ES*: r || s)
};
// Structure only (three base64url parts, JSON objects); no signature check.
std::optional<DecodedJwt> decode_jwt(std::string_view token, std::string* error = nullptr);
// True when the signature is valid for the key and the token's algorithm fits the key.
bool verify_jwt_signature(const DecodedJwt& jwt, const Key& public_key);
// header: {"alg":..,"typ":"JWT","kid":kid}; claims_json is the payload object text.
std::string sign_jwt(std::string_view claims_json, const Key& private_key, JwtAlg alg, const std::string& kid);

std::string base64url_encode(std::string_view bytes);
std::optional<std::string> base64url_decode(std::string_view text);

}  // namespace healthd::auth
