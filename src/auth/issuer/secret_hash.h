// Client secrets at rest: PBKDF2-HMAC-SHA256 with a random salt, stored as
// "pbkdf2-sha256$<iterations>$<base64url salt>$<base64url hash>".
#pragma once

#include <string>
#include <string_view>

namespace healthd::auth::issuer {

inline constexpr int kSecretHashIterations = 120000;
inline constexpr int kMinSecretHashIterations = 100000;

std::string hash_secret(std::string_view secret, int iterations = kSecretHashIterations);
// True when the text has the stored-hash shape with a supported iteration count.
bool is_valid_secret_hash(std::string_view stored);
// Recomputes the hash of `secret` with the stored salt and compares in constant time.
bool verify_secret(std::string_view secret, std::string_view stored);
// Burns the same time as verify_secret, for unknown client ids (no timing oracle).
void verify_secret_dummy(std::string_view secret);

// Constant-time equality (length is not hidden).
bool constant_time_equals(std::string_view a, std::string_view b);

}  // namespace healthd::auth::issuer
