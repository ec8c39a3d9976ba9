// The OAuth clients the built-in issuer knows: declared in the config, or managed through the
// management API and persisted in <data>/clients.json. The config wins for the ids it declares
// (the API can neither change nor delete them). Thread-safe.
#pragma once

#include <map>
#include <memory>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

#include "auth/issuer/client.h"
#include "auth/issuer/verified_secrets.h"

namespace healthd::auth::issuer {

class ClientRegistry {
 public:
  // Loads <data_dir>/clients.json, then the config's clients (their plain secrets are hashed
  // here). An empty data_dir keeps API-managed clients in memory only.
  // Throws InvalidClientDefinition for a bad config entry, std::runtime_error for a damaged file.
  ClientRegistry(std::string data_dir, const std::vector<ClientConfig>& config);

  std::shared_ptr<const OAuthClient> find(std::string_view id) const;
  std::vector<std::shared_ptr<const OAuthClient>> list() const;  // ordered by id

  // The client when it exists, has a secret and `secret` matches it; else nullptr.
  // Unknown ids cost a PBKDF2 run too (no timing oracle); a secret that already passed is
  // recognised by a keyed digest, without PBKDF2.
  std::shared_ptr<const OAuthClient> authenticate_secret(std::string_view id, std::string_view secret) const;

  enum class PutStatus { Created, Updated, DeclaredInConfig };
  struct PutResult {
    PutStatus status;
    std::shared_ptr<const OAuthClient> client;  // the stored client (nullptr for DeclaredInConfig)
  };
  // Creates or replaces an API-managed client and persists it. With no secret in `def`, an
  // update keeps the previous secret. Throws InvalidClientDefinition or std::runtime_error (I/O).
  PutResult put(const ClientConfig& def);

  enum class RemoveStatus { Removed, NotFound, DeclaredInConfig };
  RemoveStatus remove(std::string_view id);

 private:
  void persist_locked(const std::map<std::string, std::shared_ptr<const OAuthClient>, std::less<>>& clients) const;

  std::string file_path_;  // empty: no persistence
  mutable std::shared_mutex mutex_;
  std::map<std::string, std::shared_ptr<const OAuthClient>, std::less<>> clients_;
  mutable VerifiedSecrets verified_;
};

}  // namespace healthd::auth::issuer
