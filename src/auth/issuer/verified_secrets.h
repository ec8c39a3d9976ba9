// Remembers, per client, a keyed digest (HMAC-SHA256 under a per-process random key) of the
// last secret that passed PBKDF2, so a client asking for tokens again costs one HMAC instead
// of 100k+ PBKDF2 rounds. An entry is bound to the stored hash, so a changed secret misses.
#pragma once

#include <map>
#include <mutex>
#include <string>
#include <string_view>

namespace healthd::auth::issuer {

class VerifiedSecrets {
 public:
  // True when `secret` is the one last remembered for (client_id, stored_hash).
  bool contains(const std::string& client_id, const std::string& stored_hash, std::string_view secret) const;
  void remember(const std::string& client_id, const std::string& stored_hash, std::string_view secret);

 private:
  std::string digest(std::string_view stored_hash, std::string_view secret) const;

  mutable std::mutex mutex_;
  std::map<std::string, std::string> digests_;  // client id -> digest
};

}  // namespace healthd::auth::issuer
