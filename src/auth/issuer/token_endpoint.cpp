#include "auth/issuer/token_endpoint.h"

#include <algorithm>
#include <exception>
#include <map>
#include <optional>

#include "auth/issuer/access_token.h"
#include "auth/issuer/oauth_response.h"
#include "auth/issuer/scope_grant.h"
#include "auth/signing_keys.h"
#include "common/ids.h"
#include "common/time.h"
#include "json/json.h"

namespace healthd::auth::issuer {

namespace {

constexpr std::string_view kFormType = "application/x-www-form-urlencoded";

TokenEndpointOptions with_defaults(TokenEndpointOptions o) {
  while (!o.issuer.empty() && o.issuer.back() == '/') o.issuer.pop_back();
  if (o.token_url.empty()) o.token_url = o.issuer + "/oauth2/token";
  return o;
}

ClientAssertionOptions assertion_options(const TokenEndpointOptions& o) {
  ClientAssertionOptions a;
  a.token_url = o.token_url;
  a.clock_skew_s = o.clock_skew_s;
  return a;
}

bool is_form(const Request& req) {
  auto ct = req.headers.get("Content-Type");
  if (!ct) return false;
  std::string_view type = ct->substr(0, ct->find(';'));
  while (!type.empty() && type.back() == ' ') type.remove_suffix(1);
  return iequals(type, kFormType);
}

struct BasicCredentials {
  std::string id;
  std::string secret;
};

// "Basic base64(urlencode(id) ":" urlencode(secret))" (RFC 6749 §2.3.1); nullopt when malformed.
std::optional<BasicCredentials> parse_basic(std::string_view header) {
  if (header.size() < 6 || !iequals(header.substr(0, 6), "Basic ")) return std::nullopt;
  std::string b64(header.substr(6));
  b64.erase(0, b64.find_first_not_of(' '));
  while (!b64.empty() && (b64.back() == '=' || b64.back() == ' ')) b64.pop_back();
  std::replace(b64.begin(), b64.end(), '+', '-');
  std::replace(b64.begin(), b64.end(), '/', '_');
  auto decoded = base64url_decode(b64);
  if (!decoded) return std::nullopt;
  size_t colon = decoded->find(':');
  if (colon == std::string::npos) return std::nullopt;
  return BasicCredentials{percent_decode(decoded->substr(0, colon), true),
                          percent_decode(decoded->substr(colon + 1), true)};
}

std::string token_answer(const std::string& token, int64_t expires_in, const std::vector<std::string>& scopes) {
  json::Document doc(rapidjson::kObjectType);
  auto& a = doc.GetAllocator();
  doc.AddMember("access_token", json::str(token, a), a);
  doc.AddMember("token_type", "Bearer", a);
  doc.AddMember("expires_in", expires_in, a);
  doc.AddMember("scope", json::str(join_scopes(scopes), a), a);
  return json::to_string(doc);
}

Response labelled(Response r) {
  r.service = "oauth2";
  r.route = "oauth2.token";
  return r;
}

}  // namespace

TokenEndpoint::TokenEndpoint(std::shared_ptr<const ClientRegistry> clients, std::shared_ptr<const SigningKeys> keys,
                             TokenEndpointOptions options)
    : clients_(std::move(clients)),
      keys_(std::move(keys)),
      options_(with_defaults(std::move(options))),
      assertions_(clients_, assertion_options(options_), options_.http_get) {}

int64_t TokenEndpoint::now() const { return options_.now_s ? options_.now_s() : now_us() / 1000000; }

Response TokenEndpoint::handle_token_request(const Request& req) const {
  try {
    if (req.method != "POST") {
      Response r = oauth_error(405, "invalid_request", "the token endpoint accepts POST only");
      r.headers.set("Allow", "POST");
      return labelled(r);
    }
    if (!is_form(req))
      return labelled(oauth_error(400, "invalid_request", "the body must be application/x-www-form-urlencoded"));

    // Parameters without a value count as absent; repeated parameters are an error (RFC 6749 §3.1).
    std::map<std::string, std::string, std::less<>> params;
    for (auto& [name, value] : parse_query(req.body)) {
      if (value.empty()) continue;
      if (params.count(name))
        return labelled(oauth_error(400, "invalid_request", "the parameter '" + name + "' is repeated"));
      params.emplace(name, value);
    }
    auto param = [&](std::string_view name) -> std::string_view {
      auto it = params.find(name);
      return it == params.end() ? std::string_view() : std::string_view(it->second);
    };

    std::string_view grant_type = param("grant_type");
    if (grant_type.empty()) return labelled(oauth_error(400, "invalid_request", "grant_type is missing"));
    if (grant_type != "client_credentials")
      return labelled(
          oauth_error(400, "unsupported_grant_type",
                      "only the client_credentials grant is supported, not '" + std::string(grant_type) + "'"));

    auto authorization = req.headers.get("Authorization");
    const bool by_basic = authorization.has_value();
    const bool by_post = !param("client_secret").empty();
    const bool by_assertion = !param("client_assertion").empty() || !param("client_assertion_type").empty();
    if (by_basic + by_post + by_assertion > 1)
      return labelled(oauth_error(400, "invalid_request", "use exactly one client authentication method"));
    const int64_t t = now();

    if (by_assertion) {
      if (param("client_assertion_type") != kJwtBearerAssertionType)
        return labelled(invalid_client("client_assertion_type must be " + std::string(kJwtBearerAssertionType)));
      if (param("client_assertion").empty()) return labelled(invalid_client("client_assertion is missing"));
      std::string why;
      auto client = assertions_.verify(param("client_assertion"), param("client_id"), t, &why);
      if (!client) return labelled(invalid_client(why));
      int64_t cap = options_.assertion_max_lifetime_s;
      int64_t lifetime = client->token_lifetime_s > 0 ? std::min(client->token_lifetime_s, cap) : cap;
      return labelled(issue(*client, lifetime, param("scope"), t));
    }

    std::string id, secret;
    if (by_basic) {
      auto basic = parse_basic(*authorization);
      if (!basic) return labelled(invalid_client("the Authorization header must carry Basic client credentials"));
      if (!param("client_id").empty() && param("client_id") != basic->id)
        return labelled(oauth_error(400, "invalid_request", "client_id does not match the Basic credentials"));
      id = std::move(basic->id);
      secret = std::move(basic->secret);
    } else if (by_post) {
      id = std::string(param("client_id"));
      secret = std::string(param("client_secret"));
      if (id.empty()) return labelled(invalid_client("client_id is missing"));
    } else {
      return labelled(invalid_client("client authentication is required"));
    }
    auto client = clients_->authenticate_secret(id, secret);
    if (!client) return labelled(invalid_client("unknown client or wrong secret"));
    int64_t lifetime = client->token_lifetime_s > 0 ? client->token_lifetime_s : options_.default_lifetime_s;
    return labelled(issue(*client, lifetime, param("scope"), t));
  } catch (const std::exception& e) {
    return labelled(oauth_error(500, "server_error", std::string("the token could not be issued: ") + e.what()));
  }
}

Response TokenEndpoint::issue(const OAuthClient& client, int64_t lifetime_s, std::string_view requested_scope,
                              int64_t now) const {
  std::string why;
  auto scopes = grant_scopes(client, requested_scope, &why);
  if (!scopes) return oauth_error(400, "invalid_scope", why);
  AccessTokenGrant grant;
  grant.issuer = options_.issuer;
  if (options_.audiences) grant.audiences = options_.audiences();
  grant.scopes = *scopes;
  grant.issued_at = now;
  grant.lifetime_s = lifetime_s;
  grant.jti = new_uuid();
  std::string token = keys_->sign(access_token_claims(client, grant));
  return oauth_json_response(200, token_answer(token, lifetime_s, *scopes));
}

}  // namespace healthd::auth::issuer
