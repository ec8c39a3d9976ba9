#include "auth/process_mac.h"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include <memory>
#include <stdexcept>

namespace healthd::auth {

namespace {

const std::string& process_key() {
  static const std::string key = [] {
    std::string k(32, '\0');
    if (RAND_bytes(reinterpret_cast<unsigned char*>(k.data()), static_cast<int>(k.size())) != 1)
      throw std::runtime_error("no random bytes for the process key");
    return k;
  }();
  return key;
}

struct MacCtxFree {
  void operator()(EVP_MAC_CTX* c) const { EVP_MAC_CTX_free(c); }
};

// One HMAC-SHA256 context per thread, keyed once: the one-shot HMAC() fetches the algorithm
// from OpenSSL's provider store and sets the key on every call (~10 us; this is ~1 us).
EVP_MAC_CTX* thread_context() {
  thread_local std::unique_ptr<EVP_MAC_CTX, MacCtxFree> ctx = [] {
    static EVP_MAC* const hmac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);
    if (!hmac) throw std::runtime_error("HMAC is not available");
    std::unique_ptr<EVP_MAC_CTX, MacCtxFree> c(EVP_MAC_CTX_new(hmac));
    char digest[] = "SHA256";
    OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0), OSSL_PARAM_construct_end()};
    const std::string& key = process_key();
    if (!c || !EVP_MAC_init(c.get(), reinterpret_cast<const unsigned char*>(key.data()), key.size(), params))
      throw std::runtime_error("HMAC context failed");
    return c;
  }();
  return ctx.get();
}

}  // namespace

std::string process_mac(std::string_view message) {
  EVP_MAC_CTX* ctx = thread_context();
  unsigned char out[EVP_MAX_MD_SIZE];
  size_t len = 0;
  // init without a key restarts the digest under the key already set.
  if (!EVP_MAC_init(ctx, nullptr, 0, nullptr) ||
      !EVP_MAC_update(ctx, reinterpret_cast<const unsigned char*>(message.data()), message.size()) ||
      !EVP_MAC_final(ctx, out, &len, sizeof out))
    throw std::runtime_error("HMAC failed");
  return std::string(reinterpret_cast<const char*>(out), len);
}

}  // namespace healthd::auth
