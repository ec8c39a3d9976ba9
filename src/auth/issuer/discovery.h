// Discovery documents of the built-in issuer (OpenID Provider metadata, JWKS) and the SMART
// configuration a FHIR service publishes when it trusts that issuer.
#pragma once

#include <string>
#include <vector>

#include "common/request.h"

namespace healthd::auth {
class SigningKeys;
}

namespace healthd::auth::issuer {

struct DiscoveryOptions {
  std::string issuer;                         // the issuer URL (no trailing slash)
  std::vector<std::string> scopes_supported;  // empty = default_scopes_supported()
};

// The system scopes a backend client typically asks for.
std::vector<std::string> default_scopes_supported();

// Paths below the issuer URL.
inline constexpr const char* kTokenPath = "/oauth2/token";
inline constexpr const char* kJwksPath = "/.well-known/jwks.json";
inline constexpr const char* kOpenIdConfigurationPath = "/.well-known/openid-configuration";

// GET /.well-known/openid-configuration: issuer, jwks_uri, token_endpoint, grant_types_supported,
// token_endpoint_auth_methods_supported, token_endpoint_auth_signing_alg_values_supported,
// scopes_supported, response_types_supported, id_token_signing_alg_values_supported,
// subject_types_supported.
std::string openid_configuration_json(const DiscoveryOptions& options);
Response openid_configuration_response(const DiscoveryOptions& options);

// GET /.well-known/jwks.json: the public signing keys.
Response jwks_response(const SigningKeys& keys);

struct SmartConfigurationOptions {
  std::string issuer;                         // the issuer URL
  std::string token_endpoint;                 // "" = issuer + kTokenPath
  std::string jwks_uri;                       // "" = issuer + kJwksPath
  std::vector<std::string> scopes_supported;  // empty = default_scopes_supported()
  std::vector<std::string> capabilities;      // empty = what the built-in issuer supports
};

// A FHIR service's /.well-known/smart-configuration: token_endpoint, grant_types_supported,
// capabilities, code_challenge_methods_supported (S256), issuer, jwks_uri,
// token_endpoint_auth_methods_supported, token_endpoint_auth_signing_alg_values_supported,
// scopes_supported.
std::string smart_configuration_json(const SmartConfigurationOptions& options);
Response smart_configuration_response(const SmartConfigurationOptions& options);

}  // namespace healthd::auth::issuer
