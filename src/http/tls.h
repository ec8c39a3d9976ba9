// TLS contexts for the server and the client, built with OpenSSL only (no Asio/Beast here).
// Both speak TLS 1.2 or newer. Callers wrap the context, e.g. asio::ssl::context(ptr.release()).
#pragma once

#include <memory>
#include <string>

struct ssl_ctx_st;  // SSL_CTX
struct ssl_st;      // SSL

namespace healthd::http {

struct TlsContextFree {
  void operator()(ssl_ctx_st* ctx) const;
};
using TlsContextPtr = std::unique_ptr<ssl_ctx_st, TlsContextFree>;

// Server context from a PEM certificate chain and a PEM private key. Throws
// std::runtime_error naming the file and the reason when a file is missing or unusable,
// or when the key does not match the certificate.
TlsContextPtr new_server_tls_context(const std::string& cert_file, const std::string& key_file);

// Client context that verifies the peer against ca_file (PEM), or against the system CA
// store when ca_file is empty. nullptr with `error` filled on failure.
TlsContextPtr new_client_tls_context(const std::string& ca_file, std::string& error);

// Sets SNI (for names) and the name or IP address the peer's certificate must match.
bool tls_expect_peer(ssl_st* ssl, const std::string& host);

// Why the peer's certificate was rejected ("" when it was not).
std::string tls_verify_error(const ssl_st* ssl);

// Drains OpenSSL's error queue into one line ("" when empty).
std::string tls_error_queue();

}  // namespace healthd::http
