#include "auth/issuer/discovery.h"

#include <initializer_list>

#include "auth/signing_keys.h"
#include "json/json.h"

namespace healthd::auth::issuer {

namespace {

std::string trimmed(std::string url) {
  while (!url.empty() && url.back() == '/') url.pop_back();
  return url;
}

json::Value string_array(std::initializer_list<const char*> items, json::Allocator& a) {
  json::Value arr(rapidjson::kArrayType);
  for (const char* s : items) arr.PushBack(json::Value(s, a), a);
  return arr;
}

json::Value string_array(const std::vector<std::string>& items, json::Allocator& a) {
  json::Value arr(rapidjson::kArrayType);
  for (const auto& s : items) arr.PushBack(json::str(s, a), a);
  return arr;
}

void add(json::Value& o, const char* name, json::Value v, json::Allocator& a) {
  o.AddMember(json::Value(name, a), v, a);
}

Response metadata_response(std::string body, const char* cache_control) {
  Response r;
  r.status = 200;
  r.headers.set("Content-Type", "application/json; charset=utf-8");
  r.headers.set("Cache-Control", cache_control);
  r.body = std::move(body);
  r.service = "oauth2";
  return r;
}

}  // namespace

std::vector<std::string> default_scopes_supported() {
  return {"system/*.rs", "system/*.cruds", "system/*.read", "system/*.write", "system/*.*"};
}

std::string openid_configuration_json(const DiscoveryOptions& options) {
  const std::string issuer = trimmed(options.issuer);
  json::Document doc(rapidjson::kObjectType);
  auto& a = doc.GetAllocator();
  add(doc, "issuer", json::str(issuer, a), a);
  add(doc, "jwks_uri", json::str(issuer + kJwksPath, a), a);
  add(doc, "token_endpoint", json::str(issuer + kTokenPath, a), a);
  add(doc, "grant_types_supported", string_array({"client_credentials"}, a), a);
  add(doc, "token_endpoint_auth_methods_supported",
      string_array({"client_secret_basic", "client_secret_post", "private_key_jwt"}, a), a);
  add(doc, "token_endpoint_auth_signing_alg_values_supported", string_array({"RS384", "ES384"}, a), a);
  add(doc, "scopes_supported",
      string_array(options.scopes_supported.empty() ? default_scopes_supported() : options.scopes_supported, a), a);
  add(doc, "response_types_supported", string_array({"token"}, a), a);
  add(doc, "id_token_signing_alg_values_supported", string_array({"RS256"}, a), a);
  add(doc, "subject_types_supported", string_array({"public"}, a), a);
  return json::to_string(doc);
}

Response openid_configuration_response(const DiscoveryOptions& options) {
  Response r = metadata_response(openid_configuration_json(options), "public, max-age=3600");
  r.route = "oauth2.openid-configuration";
  return r;
}

Response jwks_response(const SigningKeys& keys) {
  // Short max-age: a rotated key must reach the validators well before the old one retires.
  Response r = metadata_response(keys.jwks_json(), "public, max-age=300");
  r.route = "oauth2.jwks";
  return r;
}

std::string smart_configuration_json(const SmartConfigurationOptions& options) {
  const std::string issuer = trimmed(options.issuer);
  json::Document doc(rapidjson::kObjectType);
  auto& a = doc.GetAllocator();
  add(doc, "issuer", json::str(issuer, a), a);
  add(doc, "jwks_uri", json::str(options.jwks_uri.empty() ? issuer + kJwksPath : options.jwks_uri, a), a);
  add(doc, "token_endpoint",
      json::str(options.token_endpoint.empty() ? issuer + kTokenPath : options.token_endpoint, a), a);
  add(doc, "grant_types_supported", string_array({"client_credentials"}, a), a);
  add(doc, "token_endpoint_auth_methods_supported",
      string_array({"client_secret_basic", "client_secret_post", "private_key_jwt"}, a), a);
  add(doc, "token_endpoint_auth_signing_alg_values_supported", string_array({"RS384", "ES384"}, a), a);
  add(doc, "scopes_supported",
      string_array(options.scopes_supported.empty() ? default_scopes_supported() : options.scopes_supported, a), a);
  if (options.capabilities.empty())
    add(doc, "capabilities",
        string_array(
            {"client-confidential-symmetric", "client-confidential-asymmetric", "permission-v1", "permission-v2"}, a),
        a);
  else
    add(doc, "capabilities", string_array(options.capabilities, a), a);
  add(doc, "code_challenge_methods_supported", string_array({"S256"}, a), a);
  return json::to_string(doc);
}

Response smart_configuration_response(const SmartConfigurationOptions& options) {
  Response r = metadata_response(smart_configuration_json(options), "public, max-age=3600");
  r.route = "fhir.smart-configuration";
  return r;
}

}  // namespace healthd::auth::issuer
