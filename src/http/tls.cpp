#include "http/tls.h"

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <stdexcept>

namespace healthd::http {

void TlsContextFree::operator()(ssl_ctx_st* ctx) const { SSL_CTX_free(ctx); }

std::string tls_error_queue() {
  std::string out;
  while (unsigned long code = ERR_get_error()) {
    char buf[256];
    ERR_error_string_n(code, buf, sizeof buf);
    if (!out.empty()) out += "; ";
    out += buf;
  }
  return out;
}

namespace {

// A clearer message than OpenSSL's for the common case of a wrong path or permissions.
void require_readable(const std::string& what, const std::string& path) {
  if (path.empty()) throw std::runtime_error("http: TLS " + what + " file not set");
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) throw std::runtime_error("http: TLS " + what + " file '" + path + "' cannot be read: " + std::strerror(errno));
  std::fclose(f);
}

// Never prompts for a passphrase (OpenSSL's default would read the terminal).
int no_passphrase(char*, int, int, void*) { return 0; }

EVP_PKEY* read_private_key(const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (!f) return nullptr;
  EVP_PKEY* key = PEM_read_PrivateKey(f, nullptr, no_passphrase, nullptr);
  std::fclose(f);
  return key;
}

TlsContextPtr new_context(const SSL_METHOD* method) {
  TlsContextPtr ctx(SSL_CTX_new(method));
  if (!ctx) return nullptr;
  SSL_CTX_set_min_proto_version(ctx.get(), TLS1_2_VERSION);
  SSL_CTX_set_options(ctx.get(), SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION);
  return ctx;
}

}  // namespace

TlsContextPtr new_server_tls_context(const std::string& cert_file, const std::string& key_file) {
  require_readable("certificate", cert_file);
  require_readable("key", key_file);
  ERR_clear_error();
  TlsContextPtr ctx = new_context(TLS_server_method());
  if (!ctx) throw std::runtime_error("http: cannot create TLS context: " + tls_error_queue());
  SSL_CTX_set_options(ctx.get(), SSL_OP_CIPHER_SERVER_PREFERENCE);
  SSL_CTX_set_default_passwd_cb(ctx.get(), no_passphrase);
  if (SSL_CTX_use_certificate_chain_file(ctx.get(), cert_file.c_str()) != 1)
    throw std::runtime_error("http: TLS certificate file '" + cert_file + "' is not a usable PEM certificate: " +
                             tls_error_queue());
  EVP_PKEY* key = read_private_key(key_file);
  if (!key)
    throw std::runtime_error("http: TLS key file '" + key_file +
                             "' is not a usable (unencrypted) PEM private key: " + tls_error_queue());
  int used = SSL_CTX_use_PrivateKey(ctx.get(), key);
  EVP_PKEY_free(key);
  if (used != 1 || SSL_CTX_check_private_key(ctx.get()) != 1)
    throw std::runtime_error("http: TLS key '" + key_file + "' does not match certificate '" + cert_file +
                             "': " + tls_error_queue());
  return ctx;
}

TlsContextPtr new_client_tls_context(const std::string& ca_file, std::string& error) {
  ERR_clear_error();
  TlsContextPtr ctx = new_context(TLS_client_method());
  if (!ctx) {
    error = "cannot create TLS context: " + tls_error_queue();
    return nullptr;
  }
  int ok = ca_file.empty() ? SSL_CTX_set_default_verify_paths(ctx.get())
                           : SSL_CTX_load_verify_locations(ctx.get(), ca_file.c_str(), nullptr);
  if (ok != 1) {
    error = (ca_file.empty() ? std::string("cannot load the system CA store") : "cannot load CA file '" + ca_file + "'") +
            ": " + tls_error_queue();
    return nullptr;
  }
  SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER, nullptr);
  return ctx;
}

bool tls_expect_peer(ssl_st* ssl, const std::string& host) {
  X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
  X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
  // An IP address literal is matched against the certificate's IP SANs and gets no SNI.
  if (X509_VERIFY_PARAM_set1_ip_asc(param, host.c_str()) == 1) return true;
  ERR_clear_error();
  return SSL_set_tlsext_host_name(ssl, host.c_str()) == 1 && SSL_set1_host(ssl, host.c_str()) == 1;
}

std::string tls_verify_error(const ssl_st* ssl) {
  long result = SSL_get_verify_result(ssl);
  return result == X509_V_OK ? std::string() : X509_verify_cert_error_string(result);
}

}  // namespace healthd::http
