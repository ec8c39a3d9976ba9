// Security: the platform's gatekeeper. Validates bearer tokens (the built-in issuer and external
// OpenID Connect providers), maps roles to data actions, answers the issuer's open routes
// (/.well-known/*, /oauth2/token), builds 401/403 answers, and writes the audit log.
// Transport-independent like the rest of the platform; HTTP fetches go through an injected function.
#pragma once

#include <atomic>
#include <mutex>
#include <functional>
#include <memory>
#include <shared_mutex>
#include <unordered_map>
#include <optional>
#include <string>
#include <vector>

#include "common/principal.h"
#include "common/request.h"
#include "workspace/config.h"

namespace healthd::auth {
class SigningKeys;
class TokenValidator;
class RoleTable;
class PatientCompartment;
namespace issuer {
class ClientRegistry;
class ClientsApi;
class TokenEndpoint;
}  // namespace issuer
}  // namespace healthd::auth

namespace healthd {
class AuditLog;
}

namespace healthd::workspace {

using HttpGet = std::function<std::optional<std::string>(const std::string& url)>;  // body of a 200, else nullopt

class Security {
 public:
  // Opens the signing keys (<data>/keys), clients (<data>/clients.json), the roles file and the
  // audit log (<data>/audit). Throws std::runtime_error with a clear message.
  Security(const PlatformConfig& config, const std::string& public_url, HttpGet http_get,
           std::function<std::vector<std::string>()> all_audiences);
  ~Security();

  const std::string& issuer() const { return issuer_; }
  const std::string& public_url() const { return public_url_; }

  // /.well-known/openid-configuration, /.well-known/jwks.json, POST /oauth2/token; nullopt otherwise.
  std::optional<Response> handle_open(const Request& req, const std::vector<std::string>& segments);

  // The caller behind the bearer token when it is valid for `audience`; else a 401 answer.
  struct Authentication {
    std::shared_ptr<const Principal> principal;
    std::optional<Response> denied;
  };
  Authentication authenticate(const Request& req, const std::string& audience) const;
  // 403 with an OperationOutcome (forbidden) carrying the correlation id.
  Response forbidden(const Request& req, const std::string& why) const;

  // The JSON of a FHIR service's /.well-known/smart-configuration.
  std::string smart_configuration(const std::string& base_url) const;
  // /management/clients[/{id}]; the caller checked the admin role.
  Response clients_api(const Request& req, const std::vector<std::string>& segments_after_clients);

  std::shared_ptr<const auth::PatientCompartment> compartment() const { return compartment_; }
  bool metrics_open() const { return metrics_open_; }

  // One audit record for a finished request.
  void audit(const Request& req, const Response& resp, double duration_ms, const std::string& resource_type);

 private:
  std::string public_url_;
  std::string issuer_;
  bool metrics_open_ = true;
  std::shared_ptr<auth::SigningKeys> keys_;
  std::unique_ptr<auth::TokenValidator> validator_;
  std::unique_ptr<auth::RoleTable> roles_;
  std::shared_ptr<const auth::PatientCompartment> compartment_;
  std::shared_ptr<auth::issuer::ClientRegistry> clients_;
  std::unique_ptr<auth::issuer::ClientsApi> clients_api_;
  std::unique_ptr<auth::issuer::TokenEndpoint> token_endpoint_;
  std::unique_ptr<AuditLog> audit_;
  int clock_skew_s_ = 60;

  // Validated tokens (audience + token -> principal) until they expire: a signature check costs
  // tens of microseconds, a lookup well under one. Bounded; cleared when full.
  struct CachedPrincipal {
    std::string audience;  // the audience it was validated for
    std::shared_ptr<const Principal> principal;
  };
  struct TokenHash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
  };
  static constexpr size_t kMaxCachedTokens = 20000;
  mutable std::shared_mutex cache_mu_;
  mutable std::unordered_map<std::string, CachedPrincipal, TokenHash, std::equal_to<>> cache_;
  // Keys rotated by another process (`healthd rotate-key`) are picked up as soon as their index
  // file changes: checked (one stat) on an unknown kid and on each JWKS request.
  std::string keys_index_path_;
  mutable std::mutex reload_mu_;
  mutable int64_t keys_index_mtime_ns_ = 0;
  void maybe_reload_keys() const;
};

}  // namespace healthd::workspace
