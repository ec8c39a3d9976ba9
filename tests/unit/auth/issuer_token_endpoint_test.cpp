// POST /oauth2/token with client secrets: Basic and post authentication, errors, scopes.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "auth/issuer/token_endpoint.h"
#include "auth/jwt.h"
#include "auth/signing_keys.h"
#include "json/json.h"

using namespace healthd;
using namespace healthd::auth;
using namespace healthd::auth::issuer;
namespace fs = std::filesystem;

namespace {

constexpr int64_t kNow = 1900000000;

// Standard base64 (Basic auth uses it, not base64url).
std::string base64(const std::string& bytes) {
  std::string s = base64url_encode(bytes);
  for (char& c : s) c = c == '-' ? '+' : c == '_' ? '/' : c;
  while (s.size() % 4) s += '=';
  return s;
}

class TokenEndpointTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("healthd-token-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    keys_ = SigningKeys::open(dir_.string());
    ClientConfig reader;
    reader.id = "reader-app";
    reader.secret = "reader-app-secret-123";
    reader.roles = {"FHIR Data Reader"};
    reader.scopes = {"system/*.rs", "system/Patient.rs"};
    ClientConfig open_scopes;
    open_scopes.id = "any-scope";
    open_scopes.secret = "any-scope-secret-123";
    open_scopes.token_lifetime_s = 600;
    clients_ = std::make_shared<ClientRegistry>("", std::vector<ClientConfig>{reader, open_scopes});
    TokenEndpointOptions o;
    o.issuer = "https://healthd.example.com/";
    o.audiences = [] { return std::vector<std::string>{"https://ws-fhir.fhir.example.com"}; };
    o.now_s = [] { return kNow; };
    endpoint_ = std::make_unique<TokenEndpoint>(clients_, keys_, o);
  }
  void TearDown() override { fs::remove_all(dir_); }

  Response post(const std::string& body, const std::string& authorization = {}) {
    Request req;
    req.method = "POST";
    req.path = "/oauth2/token";
    req.headers.set("Content-Type", "application/x-www-form-urlencoded");
    if (!authorization.empty()) req.headers.set("Authorization", authorization);
    req.body = body;
    return endpoint_->handle_token_request(req);
  }

  static json::Document body_of(const Response& r) {
    json::Document d;
    EXPECT_TRUE(json::parse(r.body, d)) << r.body;
    return d;
  }

  static std::string error_of(const Response& r) {
    auto d = body_of(r);
    return std::string(json::get_string(d, "error").value_or(""));
  }

  // Decodes the issued token and checks its signature with the issuer's public key.
  json::Document verified_claims(const Response& r) {
    auto d = body_of(r);
    auto token = json::get_string(d, "access_token");
    EXPECT_TRUE(token);
    auto jwt = decode_jwt(token.value_or(""));
    EXPECT_TRUE(jwt);
    json::Document claims;
    if (!jwt) return claims;
    EXPECT_EQ(jwt->alg_text, "RS256");
    auto key = keys_->public_key(jwt->kid);
    EXPECT_TRUE(key);
    EXPECT_TRUE(key && verify_jwt_signature(*jwt, *key));
    claims.CopyFrom(jwt->claims, claims.GetAllocator());
    return claims;
  }

  fs::path dir_;
  std::shared_ptr<SigningKeys> keys_;
  std::shared_ptr<ClientRegistry> clients_;
  std::unique_ptr<TokenEndpoint> endpoint_;
};

}  // namespace

TEST_F(TokenEndpointTest, BasicSecretGivesASignedToken) {
  Response r = post("grant_type=client_credentials&scope=system%2FPatient.rs",
                    "Basic " + base64("reader-app:reader-app-secret-123"));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.headers.get("Cache-Control").value_or(""), "no-store");
  auto d = body_of(r);
  EXPECT_EQ(json::get_string(d, "token_type").value_or(""), "Bearer");
  EXPECT_EQ(d["expires_in"].GetInt64(), 3600);
  EXPECT_EQ(json::get_string(d, "scope").value_or(""), "system/Patient.rs");

  auto claims = verified_claims(r);
  EXPECT_EQ(json::get_string(claims, "iss").value_or(""), "https://healthd.example.com");
  for (const char* name : {"sub", "client_id", "azp", "appid", "oid"})
    EXPECT_EQ(json::get_string(claims, name).value_or(""), "reader-app") << name;
  EXPECT_EQ(json::get_string(claims, "aud").value_or(""), "https://ws-fhir.fhir.example.com");
  EXPECT_EQ(claims["iat"].GetInt64(), kNow);
  EXPECT_EQ(claims["nbf"].GetInt64(), kNow);
  EXPECT_EQ(claims["exp"].GetInt64(), kNow + 3600);
  EXPECT_FALSE(json::get_string(claims, "jti").value_or("").empty());
  ASSERT_TRUE(claims["roles"].IsArray());
  ASSERT_EQ(claims["roles"].Size(), 1u);
  EXPECT_STREQ(claims["roles"][0].GetString(), "FHIR Data Reader");
  EXPECT_EQ(json::get_string(claims, "scp").value_or(""), "system/Patient.rs");
}

TEST_F(TokenEndpointTest, PostedSecretGivesATokenWithTheAllowedScopes) {
  Response r = post("grant_type=client_credentials&client_id=reader-app&client_secret=reader-app-secret-123");
  ASSERT_EQ(r.status, 200) << r.body;
  auto d = body_of(r);
  EXPECT_EQ(json::get_string(d, "scope").value_or(""), "system/*.rs system/Patient.rs");
  auto claims = verified_claims(r);
  EXPECT_EQ(json::get_string(claims, "scp").value_or(""), "system/*.rs system/Patient.rs");
}

TEST_F(TokenEndpointTest, ClientLifetimeAndUnrestrictedScopes) {
  Response r = post(
      "grant_type=client_credentials&client_id=any-scope&client_secret=any-scope-secret-123"
      "&scope=system%2FObservation.cruds+system%2F*.rs");
  ASSERT_EQ(r.status, 200) << r.body;
  auto d = body_of(r);
  EXPECT_EQ(d["expires_in"].GetInt64(), 600);
  EXPECT_EQ(json::get_string(d, "scope").value_or(""), "system/Observation.cruds system/*.rs");
  EXPECT_EQ(verified_claims(r)["roles"].Size(), 0u);
}

TEST_F(TokenEndpointTest, WrongSecretIs401InvalidClient) {
  Response r = post("grant_type=client_credentials", "Basic " + base64("reader-app:wrong-secret-123456"));
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(error_of(r), "invalid_client");
  EXPECT_TRUE(r.headers.get("WWW-Authenticate").value_or("").starts_with("Basic"));
  EXPECT_EQ(r.headers.get("Cache-Control").value_or(""), "no-store");

  r = post("grant_type=client_credentials&client_id=reader-app&client_secret=wrong-secret-123456");
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(error_of(r), "invalid_client");
}

TEST_F(TokenEndpointTest, UnknownClientAndMissingAuthentication) {
  Response r = post("grant_type=client_credentials&client_id=nobody-here&client_secret=reader-app-secret-123");
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(error_of(r), "invalid_client");
  r = post("grant_type=client_credentials&client_id=reader-app");
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(error_of(r), "invalid_client");
  r = post("grant_type=client_credentials", "Bearer abc");
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(error_of(r), "invalid_client");
}

TEST_F(TokenEndpointTest, WrongGrantTypeIsUnsupported) {
  Response r = post("grant_type=password&username=a&password=b", "Basic " + base64("reader-app:reader-app-secret-123"));
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(error_of(r), "unsupported_grant_type");
  r = post("client_id=reader-app&client_secret=reader-app-secret-123");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(error_of(r), "invalid_request");
}

TEST_F(TokenEndpointTest, ScopeNotAllowedIsInvalidScope) {
  Response r = post("grant_type=client_credentials&scope=system%2F*.cruds",
                    "Basic " + base64("reader-app:reader-app-secret-123"));
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(error_of(r), "invalid_scope");
}

TEST_F(TokenEndpointTest, MalformedRequests) {
  Request get;
  get.method = "GET";
  Response r = endpoint_->handle_token_request(get);
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(r.headers.get("Allow").value_or(""), "POST");

  Request json_body;
  json_body.method = "POST";
  json_body.headers.set("Content-Type", "application/json");
  json_body.body = R"({"grant_type":"client_credentials"})";
  r = endpoint_->handle_token_request(json_body);
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(error_of(r), "invalid_request");

  r = post("grant_type=client_credentials&grant_type=client_credentials",
           "Basic " + base64("reader-app:reader-app-secret-123"));
  EXPECT_EQ(error_of(r), "invalid_request");
  // Two authentication methods at once.
  r = post("grant_type=client_credentials&client_id=reader-app&client_secret=reader-app-secret-123",
           "Basic " + base64("reader-app:reader-app-secret-123"));
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(error_of(r), "invalid_request");
}

TEST_F(TokenEndpointTest, BasicCredentialsAreFormDecoded) {
  ClientConfig odd;
  odd.id = "odd.client_1";
  odd.secret = "p@ss:word with space+plus";
  auto reg = std::make_shared<ClientRegistry>("", std::vector<ClientConfig>{odd});
  TokenEndpointOptions o;
  o.issuer = "https://healthd.example.com";
  TokenEndpoint endpoint(reg, keys_, o);
  Request req;
  req.method = "POST";
  req.headers.set("Content-Type", "application/x-www-form-urlencoded; charset=utf-8");
  req.headers.set("Authorization", "Basic " + base64("odd.client_1:p%40ss%3Aword+with+space%2Bplus"));
  req.body = "grant_type=client_credentials";
  Response r = endpoint.handle_token_request(req);
  EXPECT_EQ(r.status, 200) << r.body;
}
