#include "auth/issuer/verified_secrets.h"

#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <stdexcept>

#include "auth/issuer/secret_hash.h"

namespace healthd::auth::issuer {

VerifiedSecrets::VerifiedSecrets() : key_(32, '\0') {
  if (RAND_bytes(reinterpret_cast<unsigned char*>(key_.data()), static_cast<int>(key_.size())) != 1)
    throw std::runtime_error("no random bytes for the secret cache key");
}

std::string VerifiedSecrets::digest(std::string_view stored_hash, std::string_view secret) const {
  // The stored hash is part of the message: an entry never matches after the secret changes.
  std::string message(stored_hash);
  message += '\0';
  message += secret;
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (!HMAC(EVP_sha256(), key_.data(), static_cast<int>(key_.size()),
            reinterpret_cast<const unsigned char*>(message.data()), message.size(), out, &len))
    throw std::runtime_error("HMAC failed");
  return std::string(reinterpret_cast<const char*>(out), len);
}

bool VerifiedSecrets::contains(const std::string& client_id, const std::string& stored_hash,
                               std::string_view secret) const {
  std::string d = digest(stored_hash, secret);
  std::lock_guard lock(mutex_);
  auto it = digests_.find(client_id);
  return it != digests_.end() && constant_time_equals(it->second, d);
}

void VerifiedSecrets::remember(const std::string& client_id, const std::string& stored_hash, std::string_view secret) {
  std::string d = digest(stored_hash, secret);
  std::lock_guard lock(mutex_);
  digests_[client_id] = std::move(d);
}

}  // namespace healthd::auth::issuer
