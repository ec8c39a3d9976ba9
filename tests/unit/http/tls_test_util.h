// Test helpers for TLS: a self-signed certificate (OpenSSL API, no openssl binary) and a
// blocking OpenSSL client that reads responses like testing::TestClient.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cctype>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <map>
#include <optional>
#include <string>

namespace healthd::http::testing {

struct TempDir {
  TempDir() {
    char tmpl[] = "/tmp/healthd-test-XXXXXX";
    path = ::mkdtemp(tmpl);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
  std::string path;
};

struct CertFiles {
  std::string cert, key;
};

// Self-signed P-256 certificate (by default for localhost / 127.0.0.1 / ::1), valid for a day.
inline CertFiles make_self_signed(const std::string& dir, const std::string& name = "server",
                                  const std::string& san = "DNS:localhost,IP:127.0.0.1,IP:::1") {
  EVP_PKEY* key = EVP_EC_gen("P-256");
  X509* x = X509_new();
  X509_set_version(x, 2);
  ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
  X509_gmtime_adj(X509_getm_notBefore(x), -60);
  X509_gmtime_adj(X509_getm_notAfter(x), 86400);
  X509_set_pubkey(x, key);
  X509_NAME* subject = X509_get_subject_name(x);
  X509_NAME_add_entry_by_txt(subject, "CN", MBSTRING_ASC, reinterpret_cast<const unsigned char*>("localhost"), -1, -1, 0);
  X509_set_issuer_name(x, subject);
  X509V3_CTX ctx;
  X509V3_set_ctx_nodb(&ctx);
  X509V3_set_ctx(&ctx, x, x, nullptr, nullptr, 0);
  X509_EXTENSION* alt_names =
      X509V3_EXT_conf_nid(nullptr, &ctx, NID_subject_alt_name, san.c_str());
  X509_add_ext(x, alt_names, -1);
  X509_EXTENSION_free(alt_names);
  X509_sign(x, key, EVP_sha256());

  CertFiles files{dir + "/" + name + ".crt", dir + "/" + name + ".key"};
  std::FILE* f = std::fopen(files.cert.c_str(), "wb");
  PEM_write_X509(f, x);
  std::fclose(f);
  f = std::fopen(files.key.c_str(), "wb");
  PEM_write_PrivateKey(f, key, nullptr, nullptr, 0, nullptr, nullptr);
  std::fclose(f);
  X509_free(x);
  EVP_PKEY_free(key);
  return files;
}

struct TlsRawResponse {
  int status = 0;
  std::map<std::string, std::string> headers;  // lower-case names
  std::string body;
  std::string header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? std::string() : it->second;
  }
};

// Connects to 127.0.0.1:port and handshakes; `max_version` caps the protocol (tests of the
// TLS 1.2 floor). Verification is off: these tests exercise the server, not the PKI.
class TlsTestClient {
 public:
  explicit TlsTestClient(uint16_t port, int max_version = 0, int timeout_ms = 5000) {
    ctx_ = SSL_CTX_new(TLS_client_method());
    if (max_version) {
      SSL_CTX_set_security_level(ctx_, 0);  // let an old protocol reach the server at all
      SSL_CTX_set_min_proto_version(ctx_, 0);
      SSL_CTX_set_max_proto_version(ctx_, max_version);
    }
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    timeval tv{timeout_ms / 1000, (timeout_ms % 1000) * 1000};
    ::setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ::setsockopt(fd_, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) return;
    ssl_ = SSL_new(ctx_);
    SSL_set_fd(ssl_, fd_);
    SSL_set_tlsext_host_name(ssl_, "localhost");
    connected_ = SSL_connect(ssl_) == 1;
  }
  ~TlsTestClient() {
    if (ssl_) SSL_free(ssl_);
    if (fd_ >= 0) ::close(fd_);
    SSL_CTX_free(ctx_);
  }
  TlsTestClient(const TlsTestClient&) = delete;
  TlsTestClient& operator=(const TlsTestClient&) = delete;

  bool connected() const { return connected_; }
  std::string protocol() const { return ssl_ ? SSL_get_version(ssl_) : ""; }

  bool send(const std::string& data) {
    size_t written = 0;
    return connected_ && SSL_write_ex(ssl_, data.data(), data.size(), &written) == 1 && written == data.size();
  }

  std::optional<TlsRawResponse> read_response(bool head = false) {
    size_t end;
    while ((end = buf_.find("\r\n\r\n")) == std::string::npos)
      if (!fill()) return std::nullopt;
    TlsRawResponse r;
    std::string head_text = buf_.substr(0, end);
    buf_.erase(0, end + 4);
    r.status = std::stoi(head_text.substr(9, 3));
    size_t pos = head_text.find("\r\n");
    while (pos != std::string::npos && pos < head_text.size()) {
      pos += 2;
      size_t e = head_text.find("\r\n", pos);
      std::string line = head_text.substr(pos, e == std::string::npos ? std::string::npos : e - pos);
      size_t colon = line.find(':');
      std::string name = line.substr(0, colon);
      for (auto& ch : name) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
      size_t v = colon + 1;
      while (v < line.size() && line[v] == ' ') ++v;
      r.headers[name] = line.substr(v);
      pos = e;
    }
    size_t length = head || !r.headers.count("content-length") ? 0 : std::stoul(r.headers["content-length"]);
    while (buf_.size() < length)
      if (!fill()) return std::nullopt;
    r.body = buf_.substr(0, length);
    buf_.erase(0, length);
    return r;
  }

  // True when the server ended the TLS session (close_notify or EOF).
  bool closed_by_peer() {
    if (!buf_.empty()) return false;
    char c;
    size_t n = 0;
    return SSL_read_ex(ssl_, &c, 1, &n) != 1;
  }

 private:
  bool fill() {
    char tmp[16384];
    size_t n = 0;
    if (!connected_ || SSL_read_ex(ssl_, tmp, sizeof tmp, &n) != 1) return false;
    buf_.append(tmp, n);
    return true;
  }

  SSL_CTX* ctx_ = nullptr;
  SSL* ssl_ = nullptr;
  int fd_ = -1;
  bool connected_ = false;
  std::string buf_;
};

}  // namespace healthd::http::testing
