// The built-in issuer's signing keys, kept under <data_dir>/keys: one PEM file per key (0600)
// and keys.json, the index (current kid; per key: kid, created, retire_after). Several processes
// (the server, the `healthd token` CLI) share the directory; a lock file serializes creation and
// rotation. Tokens are signed RS256 with the current key; retired keys stop verifying.
#pragma once

#include <cstdint>
#include <memory>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

#include "auth/jwt.h"

namespace healthd::auth {

struct SigningKeySet;  // the loaded keys (signing_keys.cpp)

class SigningKeys {
 public:
  // Loads or creates the key set under <data_dir>/keys (dir 0700, key files 0600): on first use
  // an RSA-2048 key. Throws std::runtime_error (unreadable, tampered or inconsistent files).
  static std::shared_ptr<SigningKeys> open(const std::string& data_dir);

  std::string sign(std::string_view claims_json) const;  // RS256 with the current key, header kid
  std::string jwks_json() const;                          // {"keys":[...]} every key still valid for verification
  std::shared_ptr<const Key> public_key(std::string_view kid) const;  // nullptr if unknown/retired
  std::string current_kid() const;
  // Makes a new current key; the previous one stays verifiable (and in the JWKS) until
  // retire_after_epoch_s, persisted. Throws std::runtime_error.
  void rotate(int64_t retire_after_epoch_s);
  // Re-reads the directory, picking up a rotation made by another process. Throws std::runtime_error.
  void reload();

  // kid of a key: base64url of the first 16 bytes of SHA-256(SubjectPublicKeyInfo DER).
  static std::string key_id(const Key& key);

  ~SigningKeys();

 private:
  explicit SigningKeys(std::string keys_dir);
  std::shared_ptr<const SigningKeySet> snapshot() const;

  std::string dir_;
  mutable std::shared_mutex mutex_;
  std::shared_ptr<const SigningKeySet> set_;  // immutable; replaced whole on rotate/reload
};

}  // namespace healthd::auth
