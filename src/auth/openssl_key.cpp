#include "auth/openssl_key.h"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

namespace healthd::auth {
namespace {

struct BnFree {
  void operator()(BIGNUM* p) const { BN_free(p); }
};
using BnPtr = std::unique_ptr<BIGNUM, BnFree>;
struct MdCtxFree {
  void operator()(EVP_MD_CTX* p) const { EVP_MD_CTX_free(p); }
};
struct PkeyCtxFree {
  void operator()(EVP_PKEY_CTX* p) const { EVP_PKEY_CTX_free(p); }
};
struct ParamBldFree {
  void operator()(OSSL_PARAM_BLD* p) const { OSSL_PARAM_BLD_free(p); }
};
struct ParamFree {
  void operator()(OSSL_PARAM* p) const { OSSL_PARAM_free(p); }
};
struct SigFree {
  void operator()(ECDSA_SIG* p) const { ECDSA_SIG_free(p); }
};
struct BioFree {
  void operator()(BIO* p) const { BIO_free(p); }
};

const unsigned char* bytes(std::string_view s) { return reinterpret_cast<const unsigned char*>(s.data()); }

void set_error(std::string* error, const std::string& text) {
  if (error) *error = text;
}

// Coordinate / scalar size in bytes for a supported curve.
size_t field_size(const std::string& curve) { return curve == "P-384" ? 48 : 32; }

const EVP_MD* digest_for(JwtAlg alg) {
  return (alg == JwtAlg::RS384 || alg == JwtAlg::ES384) ? EVP_sha384() : EVP_sha256();
}

std::string bn_bytes(const BIGNUM* bn, size_t width = 0) {
  size_t n = width ? width : static_cast<size_t>(BN_num_bytes(bn));
  std::string out(n, '\0');
  BN_bn2binpad(bn, reinterpret_cast<unsigned char*>(out.data()), static_cast<int>(n));
  return out;
}

std::optional<std::string> bn_param(EVP_PKEY* pkey, const char* name, size_t width = 0) {
  BIGNUM* raw = nullptr;
  if (EVP_PKEY_get_bn_param(pkey, name, &raw) != 1) return std::nullopt;
  BnPtr bn(raw);
  return bn_bytes(bn.get(), width);
}

// ECDSA: OpenSSL speaks DER ECDSA-Sig-Value, JOSE speaks fixed-width r || s.
std::optional<std::string> der_to_jose(std::string_view der, size_t width) {
  const unsigned char* p = bytes(der);
  std::unique_ptr<ECDSA_SIG, SigFree> sig(d2i_ECDSA_SIG(nullptr, &p, static_cast<long>(der.size())));
  if (!sig) return std::nullopt;
  const BIGNUM* r = nullptr;
  const BIGNUM* s = nullptr;
  ECDSA_SIG_get0(sig.get(), &r, &s);
  return bn_bytes(r, width) + bn_bytes(s, width);
}

std::optional<std::string> jose_to_der(std::string_view raw, size_t width) {
  if (raw.size() != 2 * width) return std::nullopt;
  BnPtr r(BN_bin2bn(bytes(raw), static_cast<int>(width), nullptr));
  BnPtr s(BN_bin2bn(bytes(raw) + width, static_cast<int>(width), nullptr));
  std::unique_ptr<ECDSA_SIG, SigFree> sig(ECDSA_SIG_new());
  if (!r || !s || !sig || ECDSA_SIG_set0(sig.get(), r.get(), s.get()) != 1) return std::nullopt;
  r.release();
  s.release();
  int len = i2d_ECDSA_SIG(sig.get(), nullptr);
  if (len <= 0) return std::nullopt;
  std::string der(static_cast<size_t>(len), '\0');
  unsigned char* out = reinterpret_cast<unsigned char*>(der.data());
  i2d_ECDSA_SIG(sig.get(), &out);
  return der;
}

std::shared_ptr<const OpenSslKey> from_params(const char* type, OSSL_PARAM_BLD* bld, std::string* error) {
  std::unique_ptr<OSSL_PARAM, ParamFree> params(OSSL_PARAM_BLD_to_param(bld));
  std::unique_ptr<EVP_PKEY_CTX, PkeyCtxFree> ctx(EVP_PKEY_CTX_new_from_name(nullptr, type, nullptr));
  EVP_PKEY* raw = nullptr;
  if (!params || !ctx || EVP_PKEY_fromdata_init(ctx.get()) != 1 ||
      EVP_PKEY_fromdata(ctx.get(), &raw, EVP_PKEY_PUBLIC_KEY, params.get()) != 1) {
    ERR_clear_error();
    set_error(error, std::string("invalid ") + type + " public key");
    return nullptr;
  }
  return OpenSslKey::wrap(EvpPkeyPtr(raw), false, error);
}

}  // namespace

OpenSslKey::OpenSslKey(EvpPkeyPtr pkey, bool is_private, std::string curve)
    : pkey_(std::move(pkey)), is_private_(is_private), curve_(std::move(curve)) {}

std::shared_ptr<const OpenSslKey> OpenSslKey::wrap(EvpPkeyPtr pkey, bool is_private, std::string* error) {
  if (!pkey) {
    set_error(error, "no key");
    return nullptr;
  }
  if (EVP_PKEY_is_a(pkey.get(), "RSA")) {
    return std::make_shared<const OpenSslKey>(std::move(pkey), is_private, "");
  }
  if (EVP_PKEY_is_a(pkey.get(), "EC")) {
    char group[64] = {0};
    size_t len = 0;
    if (EVP_PKEY_get_utf8_string_param(pkey.get(), OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof group, &len) == 1) {
      std::string name(group, len);
      if (name == "prime256v1" || name == "P-256") {
        return std::make_shared<const OpenSslKey>(std::move(pkey), is_private, "P-256");
      }
      if (name == "secp384r1" || name == "P-384") {
        return std::make_shared<const OpenSslKey>(std::move(pkey), is_private, "P-384");
      }
    }
    ERR_clear_error();
    set_error(error, "unsupported EC curve (P-256 and P-384 only)");
    return nullptr;
  }
  set_error(error, "unsupported key type (RSA and EC only)");
  return nullptr;
}

std::shared_ptr<const OpenSslKey> OpenSslKey::rsa_public(std::string_view n, std::string_view e, std::string* error) {
  BnPtr bn_n(BN_bin2bn(bytes(n), static_cast<int>(n.size()), nullptr));
  BnPtr bn_e(BN_bin2bn(bytes(e), static_cast<int>(e.size()), nullptr));
  std::unique_ptr<OSSL_PARAM_BLD, ParamBldFree> bld(OSSL_PARAM_BLD_new());
  if (n.empty() || e.empty() || !bn_n || !bn_e || !bld ||
      OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_N, bn_n.get()) != 1 ||
      OSSL_PARAM_BLD_push_BN(bld.get(), OSSL_PKEY_PARAM_RSA_E, bn_e.get()) != 1) {
    set_error(error, "invalid RSA public key");
    return nullptr;
  }
  return from_params("RSA", bld.get(), error);
}

std::shared_ptr<const OpenSslKey> OpenSslKey::ec_public(const std::string& curve, std::string_view x, std::string_view y,
                                                        std::string* error) {
  if (curve != "P-256" && curve != "P-384") {
    set_error(error, "unsupported EC curve " + curve);
    return nullptr;
  }
  size_t width = field_size(curve);
  if (x.size() != width || y.size() != width) {
    set_error(error, "EC coordinates have the wrong length");
    return nullptr;
  }
  std::string point = "\x04" + std::string(x) + std::string(y);  // uncompressed point
  std::unique_ptr<OSSL_PARAM_BLD, ParamBldFree> bld(OSSL_PARAM_BLD_new());
  const char* group = curve == "P-256" ? "prime256v1" : "secp384r1";
  if (!bld || OSSL_PARAM_BLD_push_utf8_string(bld.get(), OSSL_PKEY_PARAM_GROUP_NAME, group, 0) != 1 ||
      OSSL_PARAM_BLD_push_octet_string(bld.get(), OSSL_PKEY_PARAM_PUB_KEY, point.data(), point.size()) != 1) {
    set_error(error, "invalid EC public key");
    return nullptr;
  }
  return from_params("EC", bld.get(), error);
}

std::string OpenSslKey::to_pem() const {
  std::unique_ptr<BIO, BioFree> bio(BIO_new(BIO_s_mem()));
  int ok = is_private_ ? PEM_write_bio_PrivateKey(bio.get(), pkey_.get(), nullptr, nullptr, 0, nullptr, nullptr)
                       : PEM_write_bio_PUBKEY(bio.get(), pkey_.get());
  if (ok != 1) {
    ERR_clear_error();
    return "";
  }
  char* data = nullptr;
  long len = BIO_get_mem_data(bio.get(), &data);
  return std::string(data, static_cast<size_t>(len));
}

std::string OpenSslKey::public_der() const {
  int len = i2d_PUBKEY(pkey_.get(), nullptr);
  if (len <= 0) return "";
  std::string der(static_cast<size_t>(len), '\0');
  unsigned char* out = reinterpret_cast<unsigned char*>(der.data());
  i2d_PUBKEY(pkey_.get(), &out);
  return der;
}

std::shared_ptr<const OpenSslKey> OpenSslKey::public_only() const {
  std::string der = public_der();
  const unsigned char* p = bytes(der);
  EvpPkeyPtr pub(d2i_PUBKEY(nullptr, &p, static_cast<long>(der.size())));
  return wrap(std::move(pub), false);
}

std::string OpenSslKey::public_jwk_json(const std::string& kid, JwtAlg alg) const {
  json::Document d(rapidjson::kObjectType);
  auto& a = d.GetAllocator();
  d.AddMember("kty", json::str(is_rsa() ? "RSA" : "EC", a), a);
  d.AddMember("kid", json::str(kid, a), a);
  d.AddMember("use", "sig", a);
  d.AddMember("alg", json::str(alg_name(alg), a), a);
  if (is_rsa()) {
    d.AddMember("n", json::str(base64url_encode(bn_param(pkey_.get(), OSSL_PKEY_PARAM_RSA_N).value_or("")), a), a);
    d.AddMember("e", json::str(base64url_encode(bn_param(pkey_.get(), OSSL_PKEY_PARAM_RSA_E).value_or("")), a), a);
  } else {
    size_t width = field_size(curve_);
    d.AddMember("crv", json::str(curve_, a), a);
    d.AddMember("x", json::str(base64url_encode(bn_param(pkey_.get(), OSSL_PKEY_PARAM_EC_PUB_X, width).value_or("")), a), a);
    d.AddMember("y", json::str(base64url_encode(bn_param(pkey_.get(), OSSL_PKEY_PARAM_EC_PUB_Y, width).value_or("")), a), a);
  }
  return json::to_string(d);
}

bool OpenSslKey::fits(JwtAlg alg) const {
  switch (alg) {
    case JwtAlg::RS256:
    case JwtAlg::RS384:
      return is_rsa() && EVP_PKEY_get_bits(pkey_.get()) >= 2048;
    case JwtAlg::ES256:
      return curve_ == "P-256";
    case JwtAlg::ES384:
      return curve_ == "P-384";
  }
  return false;
}

std::optional<std::string> OpenSslKey::sign(JwtAlg alg, std::string_view data) const {
  if (!is_private_ || !fits(alg)) return std::nullopt;
  std::unique_ptr<EVP_MD_CTX, MdCtxFree> ctx(EVP_MD_CTX_new());
  EVP_PKEY_CTX* pctx = nullptr;  // owned by ctx
  size_t len = 0;
  if (!ctx || EVP_DigestSignInit(ctx.get(), &pctx, digest_for(alg), nullptr, pkey_.get()) != 1 ||
      (is_rsa() && EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) != 1) ||
      EVP_DigestSign(ctx.get(), nullptr, &len, bytes(data), data.size()) != 1) {
    ERR_clear_error();
    return std::nullopt;
  }
  std::string sig(len, '\0');
  if (EVP_DigestSign(ctx.get(), reinterpret_cast<unsigned char*>(sig.data()), &len, bytes(data), data.size()) != 1) {
    ERR_clear_error();
    return std::nullopt;
  }
  sig.resize(len);
  if (is_rsa()) return sig;
  return der_to_jose(sig, field_size(curve_));
}

bool OpenSslKey::verify(JwtAlg alg, std::string_view data, std::string_view jose_signature) const {
  if (!fits(alg)) return false;
  std::string sig(jose_signature);
  if (!is_rsa()) {
    auto der = jose_to_der(jose_signature, field_size(curve_));
    if (!der) return false;
    sig = std::move(*der);
  }
  std::unique_ptr<EVP_MD_CTX, MdCtxFree> ctx(EVP_MD_CTX_new());
  EVP_PKEY_CTX* pctx = nullptr;  // owned by ctx
  bool ok = ctx && EVP_DigestVerifyInit(ctx.get(), &pctx, digest_for(alg), nullptr, pkey_.get()) == 1 &&
            (!is_rsa() || EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) == 1) &&
            EVP_DigestVerify(ctx.get(), bytes(sig), sig.size(), bytes(data), data.size()) == 1;
  if (!ok) ERR_clear_error();
  return ok;
}

}  // namespace healthd::auth
