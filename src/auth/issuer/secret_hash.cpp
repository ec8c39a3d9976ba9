#include "auth/issuer/secret_hash.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <charconv>
#include <optional>
#include <stdexcept>
#include <vector>

#include "auth/jwt.h"

namespace healthd::auth::issuer {

namespace {

constexpr std::string_view kScheme = "pbkdf2-sha256";
constexpr int kMaxIterations = 10000000;
constexpr size_t kSaltBytes = 16;
constexpr size_t kHashBytes = 32;

struct ParsedHash {
  int iterations = 0;
  std::string salt;
  std::string hash;
};

std::string pbkdf2(std::string_view secret, std::string_view salt, int iterations) {
  std::string out(kHashBytes, '\0');
  if (PKCS5_PBKDF2_HMAC(secret.data(), static_cast<int>(secret.size()),
                        reinterpret_cast<const unsigned char*>(salt.data()), static_cast<int>(salt.size()), iterations,
                        EVP_sha256(), static_cast<int>(out.size()), reinterpret_cast<unsigned char*>(out.data())) != 1)
    throw std::runtime_error("PBKDF2 failed");
  return out;
}

std::optional<ParsedHash> parse(std::string_view stored) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  for (;;) {
    size_t d = stored.find('$', start);
    parts.push_back(stored.substr(start, d == std::string_view::npos ? std::string_view::npos : d - start));
    if (d == std::string_view::npos) break;
    start = d + 1;
  }
  if (parts.size() != 4 || parts[0] != kScheme) return std::nullopt;
  ParsedHash p;
  auto [end, ec] = std::from_chars(parts[1].data(), parts[1].data() + parts[1].size(), p.iterations);
  if (ec != std::errc() || end != parts[1].data() + parts[1].size()) return std::nullopt;
  if (p.iterations < kMinSecretHashIterations || p.iterations > kMaxIterations) return std::nullopt;
  auto salt = base64url_decode(parts[2]);
  auto hash = base64url_decode(parts[3]);
  if (!salt || !hash || salt->size() < 8 || hash->size() != kHashBytes) return std::nullopt;
  p.salt = std::move(*salt);
  p.hash = std::move(*hash);
  return p;
}

}  // namespace

bool constant_time_equals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  return CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string hash_secret(std::string_view secret, int iterations) {
  if (iterations < kMinSecretHashIterations || iterations > kMaxIterations)
    throw std::invalid_argument("unsupported PBKDF2 iteration count");
  std::string salt(kSaltBytes, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(salt.data()), static_cast<int>(salt.size())) != 1)
    throw std::runtime_error("no random bytes for a salt");
  return std::string(kScheme) + "$" + std::to_string(iterations) + "$" + base64url_encode(salt) + "$" +
         base64url_encode(pbkdf2(secret, salt, iterations));
}

bool is_valid_secret_hash(std::string_view stored) { return parse(stored).has_value(); }

bool verify_secret(std::string_view secret, std::string_view stored) {
  auto p = parse(stored);
  if (!p) return false;
  return constant_time_equals(pbkdf2(secret, p->salt, p->iterations), p->hash);
}

void verify_secret_dummy(std::string_view secret) {
  static const std::string salt(kSaltBytes, 'x');
  (void)pbkdf2(secret, salt, kSecretHashIterations);
}

}  // namespace healthd::auth::issuer
