#include "auth/issuer/verified_secrets.h"

#include "auth/issuer/secret_hash.h"
#include "auth/process_mac.h"

namespace healthd::auth::issuer {

std::string VerifiedSecrets::digest(std::string_view stored_hash, std::string_view secret) const {
  // The stored hash is part of the message: an entry never matches after the secret changes.
  std::string message(stored_hash);
  message += '\0';
  message += secret;
  return process_mac(message);
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
