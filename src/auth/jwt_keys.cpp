// Key generation and PEM import (jwt.h).
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>

#include <stdexcept>

#include "auth/openssl_key.h"

namespace healthd::auth {
namespace {

std::shared_ptr<const Key> generated(EVP_PKEY* raw, const char* what) {
  if (!raw) {
    ERR_clear_error();
    throw std::runtime_error(std::string("key generation failed: ") + what);
  }
  auto key = OpenSslKey::wrap(EvpPkeyPtr(raw), true);
  if (!key) throw std::runtime_error(std::string("key generation failed: ") + what);
  return key;
}

}  // namespace

std::shared_ptr<const Key> generate_rsa_key(int bits) {
  if (bits < 2048) throw std::invalid_argument("RSA keys must have at least 2048 bits");
  return generated(EVP_PKEY_Q_keygen(nullptr, nullptr, "RSA", static_cast<size_t>(bits)), "RSA");
}

std::shared_ptr<const Key> generate_ec_key(const std::string& curve) {
  const char* group = curve == "P-256" ? "prime256v1" : curve == "P-384" ? "secp384r1" : nullptr;
  if (!group) throw std::invalid_argument("unsupported EC curve " + curve);
  return generated(EVP_PKEY_Q_keygen(nullptr, nullptr, "EC", group), group);
}

std::shared_ptr<const Key> key_from_pem(std::string_view pem, std::string* error) {
  auto read = [&](bool priv) -> EVP_PKEY* {
    BIO* bio = BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size()));
    if (!bio) return nullptr;
    EVP_PKEY* k = priv ? PEM_read_bio_PrivateKey(bio, nullptr, nullptr, nullptr)
                       : PEM_read_bio_PUBKEY(bio, nullptr, nullptr, nullptr);
    BIO_free(bio);
    return k;
  };
  bool is_private = pem.find("PRIVATE KEY-----") != std::string_view::npos;
  EVP_PKEY* raw = read(is_private);
  ERR_clear_error();
  if (!raw) {
    if (error) *error = "not a PEM private key or public key";
    return nullptr;
  }
  return OpenSslKey::wrap(EvpPkeyPtr(raw), is_private, error);
}

}  // namespace healthd::auth
