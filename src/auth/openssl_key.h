// The OpenSSL implementation of auth::Key (an EVP_PKEY), plus the raw operations jwt*.cpp and
// signing_keys.cpp need: JOSE signing/verification and key construction from JWK members.
// Internal to src/auth: other layers use jwt.h.
#pragma once

#include <openssl/evp.h>

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "auth/jwt.h"

namespace healthd::auth {

struct EvpPkeyFree {
  void operator()(EVP_PKEY* p) const { EVP_PKEY_free(p); }
};
using EvpPkeyPtr = std::unique_ptr<EVP_PKEY, EvpPkeyFree>;

class OpenSslKey final : public Key {
 public:
  // Takes ownership. Returns nullptr (and sets error) for key types other than RSA, EC P-256, EC P-384.
  static std::shared_ptr<const OpenSslKey> wrap(EvpPkeyPtr pkey, bool is_private, std::string* error = nullptr);
  // Public keys from JWK members (big-endian unsigned bytes).
  static std::shared_ptr<const OpenSslKey> rsa_public(std::string_view n, std::string_view e, std::string* error = nullptr);
  static std::shared_ptr<const OpenSslKey> ec_public(const std::string& curve, std::string_view x, std::string_view y,
                                                     std::string* error = nullptr);

  bool is_private() const override { return is_private_; }
  bool is_rsa() const override { return curve_.empty(); }
  std::string curve() const override { return curve_; }
  std::string to_pem() const override;
  std::string public_jwk_json(const std::string& kid, JwtAlg alg) const override;

  // SubjectPublicKeyInfo DER of the public half.
  std::string public_der() const;
  // The same key without its private half.
  std::shared_ptr<const OpenSslKey> public_only() const;
  // True when alg is meant for this key: RS* for RSA (>= 2048 bits), ES256 for P-256, ES384 for P-384.
  bool fits(JwtAlg alg) const;
  // JOSE signature (RSA PKCS#1 v1.5 bytes, or raw r || s for ECDSA); nullopt when the key cannot sign.
  std::optional<std::string> sign(JwtAlg alg, std::string_view data) const;
  bool verify(JwtAlg alg, std::string_view data, std::string_view jose_signature) const;

  OpenSslKey(EvpPkeyPtr pkey, bool is_private, std::string curve);

 private:
  EvpPkeyPtr pkey_;
  bool is_private_;
  std::string curve_;  // "" for RSA
};

}  // namespace healthd::auth
