// Discovery documents: OpenID configuration, JWKS, a FHIR service's SMART configuration.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>

#include "auth/issuer/discovery.h"
#include "auth/signing_keys.h"
#include "json/json.h"

using namespace healthd;
using namespace healthd::auth;
using namespace healthd::auth::issuer;

namespace {

json::Document parse_body(const std::string& body) {
  json::Document d;
  EXPECT_TRUE(json::parse(body, d)) << body;
  return d;
}

std::vector<std::string> strings_of(const json::Value& doc, const char* name) {
  std::vector<std::string> out;
  const json::Value* v = json::get_member(doc, name);
  if (!v || !v->IsArray()) return out;
  for (const auto& s : v->GetArray()) out.emplace_back(s.GetString());
  return out;
}

using Strings = std::vector<std::string>;

}  // namespace

TEST(Discovery, OpenIdConfigurationNamesTheEndpoints) {
  DiscoveryOptions o;
  o.issuer = "https://healthd.example.com/";
  Response r = openid_configuration_response(o);
  EXPECT_EQ(r.status, 200);
  EXPECT_TRUE(r.headers.get("Content-Type").value_or("").starts_with("application/json"));
  auto d = parse_body(r.body);
  EXPECT_EQ(json::get_string(d, "issuer").value_or(""), "https://healthd.example.com");
  EXPECT_EQ(json::get_string(d, "jwks_uri").value_or(""), "https://healthd.example.com/.well-known/jwks.json");
  EXPECT_EQ(json::get_string(d, "token_endpoint").value_or(""), "https://healthd.example.com/oauth2/token");
  EXPECT_EQ(strings_of(d, "grant_types_supported"), Strings{"client_credentials"});
  EXPECT_EQ(strings_of(d, "token_endpoint_auth_methods_supported"),
            (Strings{"client_secret_basic", "client_secret_post", "private_key_jwt"}));
  EXPECT_EQ(strings_of(d, "token_endpoint_auth_signing_alg_values_supported"), (Strings{"RS384", "ES384"}));
  EXPECT_EQ(strings_of(d, "response_types_supported"), Strings{"token"});
  EXPECT_EQ(strings_of(d, "id_token_signing_alg_values_supported"), Strings{"RS256"});
  EXPECT_EQ(strings_of(d, "subject_types_supported"), Strings{"public"});
  EXPECT_EQ(strings_of(d, "scopes_supported"), default_scopes_supported());

  o.scopes_supported = {"system/*.read"};
  EXPECT_EQ(strings_of(parse_body(openid_configuration_json(o)), "scopes_supported"), Strings{"system/*.read"});
}

TEST(Discovery, JwksHoldsTheSigningKey) {
  auto dir = std::filesystem::temp_directory_path() / ("healthd-discovery-" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  auto keys = SigningKeys::open(dir.string());
  Response r = jwks_response(*keys);
  EXPECT_EQ(r.status, 200);
  auto d = parse_body(r.body);
  ASSERT_TRUE(d["keys"].IsArray());
  ASSERT_GE(d["keys"].Size(), 1u);
  EXPECT_EQ(json::get_string(d["keys"][0], "kid").value_or(""), keys->current_kid());
  EXPECT_FALSE(d["keys"][0].HasMember("d"));  // no private part
  std::filesystem::remove_all(dir);
}

TEST(Discovery, SmartConfigurationForAFhirService) {
  SmartConfigurationOptions o;
  o.issuer = "https://healthd.example.com";
  auto d = parse_body(smart_configuration_response(o).body);
  EXPECT_EQ(json::get_string(d, "issuer").value_or(""), "https://healthd.example.com");
  EXPECT_EQ(json::get_string(d, "token_endpoint").value_or(""), "https://healthd.example.com/oauth2/token");
  EXPECT_EQ(json::get_string(d, "jwks_uri").value_or(""), "https://healthd.example.com/.well-known/jwks.json");
  EXPECT_EQ(strings_of(d, "grant_types_supported"), Strings{"client_credentials"});
  EXPECT_EQ(strings_of(d, "code_challenge_methods_supported"), Strings{"S256"});
  EXPECT_EQ(strings_of(d, "token_endpoint_auth_methods_supported"),
            (Strings{"client_secret_basic", "client_secret_post", "private_key_jwt"}));
  auto caps = strings_of(d, "capabilities");
  EXPECT_NE(std::find(caps.begin(), caps.end(), "client-confidential-asymmetric"), caps.end());
  EXPECT_NE(std::find(caps.begin(), caps.end(), "permission-v2"), caps.end());
  EXPECT_FALSE(strings_of(d, "scopes_supported").empty());

  o.capabilities = {"launch-standalone", "permission-v2"};
  o.token_endpoint = "https://login.example.com/t/oauth2/v2.0/token";
  auto custom = parse_body(smart_configuration_json(o));
  EXPECT_EQ(strings_of(custom, "capabilities"), (Strings{"launch-standalone", "permission-v2"}));
  EXPECT_EQ(json::get_string(custom, "token_endpoint").value_or(""), "https://login.example.com/t/oauth2/v2.0/token");
}
