#include "workspace/security.h"

#include <sys/stat.h>

#include <filesystem>

#include "auth/compartment.h"
#include "auth/issuer/client_registry.h"
#include "auth/issuer/clients_api.h"
#include "auth/issuer/discovery.h"
#include "auth/issuer/token_endpoint.h"
#include "auth/roles.h"
#include "auth/roles_file.h"
#include "auth/signing_keys.h"
#include "auth/token_validator.h"
#include "common/audit_log.h"
#include "common/outcome.h"
#include "common/time.h"

namespace healthd::workspace {

namespace {

std::vector<auth::issuer::ClientConfig> client_configs(const AuthConfig& auth) {
  std::vector<auth::issuer::ClientConfig> out;
  for (const auto& c : auth.clients) {
    auth::issuer::ClientConfig cc;
    cc.id = c.id;
    cc.secret = c.secret;
    cc.secret_hash = c.secret_hash;
    cc.roles.insert(c.roles.begin(), c.roles.end());
    cc.scopes = c.scopes;
    cc.jwks_json = c.jwks_json;
    cc.jwks_url = c.jwks_url;
    cc.token_lifetime_s = c.token_lifetime_s;
    out.push_back(std::move(cc));
  }
  return out;
}

// An OperationOutcome whose id is the request's correlation id (as the cloud does for 401/403).
Response outcome_with_id(int status, const char* code, const std::string& diagnostics, const Request& req) {
  Issue is;
  is.code = code;
  is.diagnostics = diagnostics;
  Response r = outcome_response(status, std::vector<Issue>{is});
  // {"resourceType":"OperationOutcome", ... -> {"resourceType":"OperationOutcome","id":"<rid>", ...
  const std::string head = R"({"resourceType":"OperationOutcome")";
  if (!req.request_id.empty() && r.body.starts_with(head))
    r.body = head + R"(,"id":")" + req.request_id + "\"" + r.body.substr(head.size());
  return r;
}

std::optional<std::string_view> bearer_token(const Request& req) {
  auto h = req.headers.get("Authorization");
  if (!h) return std::nullopt;
  std::string_view v = *h;
  if (v.size() < 7 || !iequals(v.substr(0, 7), "Bearer ")) return std::nullopt;
  v.remove_prefix(7);
  while (!v.empty() && v.front() == ' ') v.remove_prefix(1);
  if (v.empty()) return std::nullopt;
  return v;
}

// What this server supports and enforces: confidential clients of the built-in issuer, and the
// patient/, user/ and system/ scope contexts in SMART v1 and v2 syntax.
auth::issuer::SmartConfigurationOptions smart_options(const std::string& issuer) {
  auth::issuer::SmartConfigurationOptions o;
  o.issuer = issuer;
  o.capabilities = {"client-confidential-symmetric", "client-confidential-asymmetric", "permission-patient",
                    "permission-user", "permission-v1", "permission-v2"};
  return o;
}

}  // namespace

Security::Security(const PlatformConfig& config, const std::string& public_url, HttpGet http_get,
                   std::function<std::vector<std::string>()> all_audiences)
    : public_url_(public_url),
      issuer_(config.auth.issuer.empty() ? public_url : config.auth.issuer),
      metrics_open_(config.auth.metrics_open) {
  keys_ = auth::SigningKeys::open(config.data_dir);
  keys_index_path_ = (std::filesystem::path(config.data_dir) / "keys" / "keys.json").string();
  maybe_reload_keys();  // records the index's current time stamp

  auth::ValidatorOptions vo;
  vo.clock_skew_s = config.auth.clock_skew_s;
  vo.min_refresh_interval_s = config.auth.jwks_refresh_min_interval_s;
  clock_skew_s_ = config.auth.clock_skew_s;
  validator_ = std::make_unique<auth::TokenValidator>(keys_, issuer_, config.auth.authorities, http_get, vo);

  roles_ = std::make_unique<auth::RoleTable>(auth::RoleTable::builtin());
  if (!config.auth.roles_file.empty()) auth::load_roles_file(config.auth.roles_file, *roles_);

  compartment_ = auth::PatientCompartment::load(config.definitions_dir);

  try {
    clients_ = std::make_shared<auth::issuer::ClientRegistry>(config.data_dir, client_configs(config.auth));
  } catch (const std::invalid_argument& e) {
    throw std::runtime_error(std::string("config: auth.clients: ") + e.what());
  }
  clients_api_ = std::make_unique<auth::issuer::ClientsApi>(clients_);
  auth::issuer::TokenEndpointOptions to;
  to.issuer = issuer_;
  to.audiences = std::move(all_audiences);
  to.default_lifetime_s = config.auth.token_lifetime_s;
  to.http_get = http_get;
  token_endpoint_ = std::make_unique<auth::issuer::TokenEndpoint>(clients_, keys_, to);

  audit_ = std::make_unique<AuditLog>((std::filesystem::path(config.data_dir) / "audit").string(),
                                      config.auth.audit_max_file_bytes);
}

Security::~Security() = default;

std::optional<Response> Security::handle_open(const Request& req, const std::vector<std::string>& seg) {
  using namespace auth::issuer;
  if (seg.size() == 2 && seg[0] == ".well-known") {
    if (req.method != "GET" && req.method != "HEAD") return std::nullopt;
    if (seg[1] == "openid-configuration") return openid_configuration_response(DiscoveryOptions{issuer_, {}});
    if (seg[1] == "jwks.json") {
      maybe_reload_keys();
      return jwks_response(*keys_);
    }
    if (seg[1] == "smart-configuration") return smart_configuration_response(smart_options(issuer_));
  }
  if (seg.size() == 2 && seg[0] == "oauth2" && seg[1] == "token") return token_endpoint_->handle_token_request(req);
  return std::nullopt;
}

Security::Authentication Security::authenticate(const Request& req, const std::string& audience) const {
  Authentication out;
  auto deny = [&](const std::string& why) {
    Response r = outcome_with_id(401, "login", "Authentication failed: " + why, req);
    r.headers.set("WWW-Authenticate", "Bearer authorization_uri=\"" + issuer_ + "\", resource_id=\"" + audience +
                                          "\", realm=\"" + audience + "\"");
    out.denied = std::move(r);
    return out;
  };
  auto token = bearer_token(req);
  if (!token) return deny("no bearer token in the Authorization header");

  const int64_t now = now_us() / 1000000;
  {
    std::shared_lock lock(cache_mu_);
    auto it = cache_.find(*token);
    if (it != cache_.end() && it->second.audience == audience &&
        now <= it->second.principal->expires_at + clock_skew_s_) {
      out.principal = it->second.principal;
      return out;
    }
  }
  auth::TokenValidator::Result v = validator_->validate(*token, {audience});
  if (!v.ok && v.error == "unknown signing key") {
    maybe_reload_keys();  // the built-in key may have been rotated by another process
    v = validator_->validate(*token, {audience});
  }
  if (!v.ok) return deny(v.error);
  v.principal.actions = roles_->actions_for(v.principal.roles);
  out.principal = std::make_shared<const Principal>(std::move(v.principal));
  {
    std::unique_lock lock(cache_mu_);
    if (cache_.size() >= kMaxCachedTokens) cache_.clear();
    cache_[std::string(*token)] = CachedPrincipal{audience, out.principal};
  }
  return out;
}

void Security::maybe_reload_keys() const {
  struct stat st {};
  if (::stat(keys_index_path_.c_str(), &st) != 0) return;
  const int64_t mtime_ns = int64_t{st.st_mtim.tv_sec} * 1000000000 + st.st_mtim.tv_nsec;
  std::lock_guard lock(reload_mu_);
  if (mtime_ns == keys_index_mtime_ns_) return;
  try {
    keys_->reload();
    keys_index_mtime_ns_ = mtime_ns;
  } catch (const std::exception&) {
    // A half-written key directory: retried on the next unknown kid or JWKS request.
  }
}

Response Security::forbidden(const Request& req, const std::string& why) const {
  return outcome_with_id(403, "forbidden", why, req);
}

std::string Security::smart_configuration(const std::string& base_url) const {
  return auth::issuer::smart_configuration_json(smart_options(issuer_));
}

Response Security::clients_api(const Request& req, const std::vector<std::string>& segments_after_clients) {
  return clients_api_->handle_clients_api(req, segments_after_clients);
}

void Security::audit(const Request& req, const Response& resp, double duration_ms, const std::string& resource_type) {
  AuditRecord rec;
  rec.time = format_instant(now_us());
  if (req.principal) {
    rec.caller_identity = req.principal->client_id.empty() ? req.principal->subject : req.principal->client_id;
    rec.caller_identity_issuer = req.principal->issuer;
    rec.caller_object_id = req.principal->object_id;
  }
  rec.caller_ip = req.client_ip;
  rec.correlation_id = req.request_id;
  rec.resource_type = resource_type;
  rec.operation_name = resp.route;
  rec.request_uri = req.origin + req.path;
  if (!req.query.empty()) {
    rec.request_uri += "?";
    for (size_t i = 0; i < req.query.size(); ++i)
      rec.request_uri += (i ? "&" : "") + percent_encode(req.query[i].first) + "=" + percent_encode(req.query[i].second);
  }
  rec.result_type = resp.status < 400 ? "Succeeded" : "Failed";
  rec.status_code = resp.status;
  rec.duration_ms = duration_ms;
  rec.custom_headers = audit_custom_headers(req.headers);
  audit_->write(rec);
}

}  // namespace healthd::workspace
