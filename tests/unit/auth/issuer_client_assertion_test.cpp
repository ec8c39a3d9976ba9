// POST /oauth2/token with private_key_jwt client assertions (SMART Backend Services).
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
const std::string kTokenUrl = "https://healthd.example.com/oauth2/token";

std::string jwks_of(const Key& key, const std::string& kid, JwtAlg alg) {
  return "{\"keys\":[" + key.public_jwk_json(kid, alg) + "]}";
}

struct Assertion {
  std::string iss = "backend-es";
  std::string sub = "backend-es";
  std::string aud = kTokenUrl;
  int64_t exp = kNow + 240;
  std::string jti = "jti-1";

  std::string claims() const {
    json::Document d(rapidjson::kObjectType);
    auto& a = d.GetAllocator();
    d.AddMember("iss", json::str(iss, a), a);
    d.AddMember("sub", json::str(sub, a), a);
    d.AddMember("aud", json::str(aud, a), a);
    d.AddMember("exp", exp, a);
    d.AddMember("jti", json::str(jti, a), a);
    return json::to_string(d);
  }
};

class TokenEndpointAssertionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("healthd-assertion-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    keys_ = SigningKeys::open(dir_.string());
    ec_key_ = generate_ec_key("P-384");
    rsa_key_ = generate_rsa_key(2048);

    ClientConfig es;
    es.id = "backend-es";
    es.roles = {"FHIR Data Exporter"};
    es.scopes = {"system/*.rs"};
    es.jwks_json = jwks_of(*ec_key_, "es-key", JwtAlg::ES384);
    ClientConfig rs;
    rs.id = "backend-rs";
    rs.jwks_json = jwks_of(*rsa_key_, "rs-key", JwtAlg::RS384);
    rs.token_lifetime_s = 3600;  // capped at 300 for private_key_jwt
    ClientConfig remote;
    remote.id = "backend-remote";
    remote.jwks_url = "https://keys.example.com/jwks.json";
    remote.token_lifetime_s = 120;
    clients_ = std::make_shared<ClientRegistry>("", std::vector<ClientConfig>{es, rs, remote});

    TokenEndpointOptions o;
    o.issuer = "https://healthd.example.com";
    o.audiences = [] { return std::vector<std::string>{"https://a.example.com", "https://b.example.com"}; };
    o.now_s = [this] { return now_; };
    o.http_get = [this](const std::string& url) -> std::optional<std::string> {
      ++fetches_;
      if (url != "https://keys.example.com/jwks.json") return std::nullopt;
      return remote_jwks_;
    };
    endpoint_ = std::make_unique<TokenEndpoint>(clients_, keys_, o);
  }
  void TearDown() override { fs::remove_all(dir_); }

  Response post_assertion(const std::string& jwt, const std::string& extra = {}) {
    Request req;
    req.method = "POST";
    req.headers.set("Content-Type", "application/x-www-form-urlencoded");
    req.body =
        "grant_type=client_credentials&scope=system%2F*.rs"
        "&client_assertion_type=urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer"
        "&client_assertion=" +
        jwt + extra;
    return endpoint_->handle_token_request(req);
  }

  std::string es_assertion(const Assertion& a) const { return sign_jwt(a.claims(), *ec_key_, JwtAlg::ES384, "es-key"); }

  static std::string error_of(const Response& r) {
    json::Document d;
    if (!json::parse(r.body, d)) return "<not json>";
    return std::string(json::get_string(d, "error").value_or(""));
  }

  // 401 invalid_client, for the reason `why` (a piece of the error_description).
  void expect_invalid_client(const Response& r, const std::string& why) {
    EXPECT_EQ(r.status, 401) << r.body;
    EXPECT_EQ(error_of(r), "invalid_client") << r.body;
    EXPECT_NE(r.body.find(why), std::string::npos) << r.body;
  }

  int64_t now_ = kNow;
  int fetches_ = 0;
  std::string remote_jwks_;
  fs::path dir_;
  std::shared_ptr<SigningKeys> keys_;
  std::shared_ptr<const Key> ec_key_, rsa_key_;
  std::shared_ptr<ClientRegistry> clients_;
  std::unique_ptr<TokenEndpoint> endpoint_;
};

}  // namespace

TEST_F(TokenEndpointAssertionTest, Es384AssertionGivesAShortLivedToken) {
  Response r = post_assertion(es_assertion({}), "&client_id=backend-es");
  ASSERT_EQ(r.status, 200) << r.body;
  json::Document d;
  ASSERT_TRUE(json::parse(r.body, d));
  EXPECT_LE(d["expires_in"].GetInt64(), 300);
  EXPECT_EQ(json::get_string(d, "scope").value_or(""), "system/*.rs");
  EXPECT_FALSE(d.HasMember("refresh_token"));

  auto jwt = decode_jwt(json::get_string(d, "access_token").value_or(""));
  ASSERT_TRUE(jwt);
  auto key = keys_->public_key(jwt->kid);
  ASSERT_TRUE(key);
  EXPECT_TRUE(verify_jwt_signature(*jwt, *key));
  EXPECT_EQ(json::get_string(jwt->claims, "sub").value_or(""), "backend-es");
  EXPECT_EQ(jwt->claims["exp"].GetInt64() - jwt->claims["iat"].GetInt64(), d["expires_in"].GetInt64());
  ASSERT_TRUE(jwt->claims["aud"].IsArray());
  EXPECT_EQ(jwt->claims["aud"].Size(), 2u);
}

TEST_F(TokenEndpointAssertionTest, Rs384AssertionIsAcceptedAndLifetimeCapped) {
  Assertion a;
  a.iss = a.sub = "backend-rs";
  Response r = post_assertion(sign_jwt(a.claims(), *rsa_key_, JwtAlg::RS384, "rs-key"));
  ASSERT_EQ(r.status, 200) << r.body;
  json::Document d;
  ASSERT_TRUE(json::parse(r.body, d));
  EXPECT_EQ(d["expires_in"].GetInt64(), 300);
}

TEST_F(TokenEndpointAssertionTest, ReplayedJtiIsRejected) {
  std::string jwt = es_assertion({});
  ASSERT_EQ(post_assertion(jwt).status, 200);
  expect_invalid_client(post_assertion(jwt), "already been used");
  Assertion other;
  other.jti = "jti-2";
  EXPECT_EQ(post_assertion(es_assertion(other)).status, 200);
}

TEST_F(TokenEndpointAssertionTest, ExpiryMustBeNearAndInTheFuture) {
  Assertion far;
  far.exp = kNow + 600;
  expect_invalid_client(post_assertion(es_assertion(far)), "at most 300 seconds");
  Assertion expired;
  expired.exp = kNow - 120;
  expired.jti = "expired";
  expect_invalid_client(post_assertion(es_assertion(expired)), "expired");
  Assertion no_jti;
  no_jti.jti = "";
  expect_invalid_client(post_assertion(es_assertion(no_jti)), "no jti");
}

TEST_F(TokenEndpointAssertionTest, WrongAudienceOrIssuerIsRejected) {
  Assertion wrong_aud;
  wrong_aud.aud = "https://elsewhere.example.com/oauth2/token";
  expect_invalid_client(post_assertion(es_assertion(wrong_aud)), "aud must be");
  Assertion mismatch;
  mismatch.sub = "backend-rs";
  expect_invalid_client(post_assertion(es_assertion(mismatch)), "iss and sub");
  // client_id that disagrees with iss
  expect_invalid_client(post_assertion(es_assertion({}), "&client_id=backend-rs"), "does not match");
}

TEST_F(TokenEndpointAssertionTest, OtherAlgorithmsAndKeysAreRejected) {
  Assertion a;
  a.iss = a.sub = "backend-rs";
  expect_invalid_client(post_assertion(sign_jwt(a.claims(), *rsa_key_, JwtAlg::RS256, "rs-key")), "RS384 or ES384");
  // The right kid, the wrong key.
  auto intruder = generate_ec_key("P-384");
  expect_invalid_client(post_assertion(sign_jwt(Assertion{}.claims(), *intruder, JwtAlg::ES384, "es-key")),
                        "signature");
  // Unknown kid.
  expect_invalid_client(post_assertion(sign_jwt(Assertion{}.claims(), *ec_key_, JwtAlg::ES384, "other-kid")),
                        "no key with kid");
  // Not a JWT, and a wrong assertion type.
  expect_invalid_client(post_assertion("not.a.jwt"), "not a JWT");
  Request req;
  req.method = "POST";
  req.headers.set("Content-Type", "application/x-www-form-urlencoded");
  req.body = "grant_type=client_credentials&client_assertion_type=saml&client_assertion=" + es_assertion({});
  expect_invalid_client(endpoint_->handle_token_request(req), "client_assertion_type");
}

TEST_F(TokenEndpointAssertionTest, ScopeOutsideTheAllowedListIsInvalidScope) {
  Request req;
  req.method = "POST";
  req.headers.set("Content-Type", "application/x-www-form-urlencoded");
  req.body =
      "grant_type=client_credentials&scope=system%2F*.cruds"
      "&client_assertion_type=urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer"
      "&client_assertion=" +
      es_assertion({});
  Response r = endpoint_->handle_token_request(req);
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(error_of(r), "invalid_scope");
}

TEST_F(TokenEndpointAssertionTest, KeysComeFromTheJwksUrlAndAreCached) {
  auto remote_key = generate_ec_key("P-384");
  remote_jwks_ = jwks_of(*remote_key, "remote-1", JwtAlg::ES384);
  Assertion a;
  a.iss = a.sub = "backend-remote";
  Response r = post_assertion(sign_jwt(a.claims(), *remote_key, JwtAlg::ES384, "remote-1"));
  ASSERT_EQ(r.status, 200) << r.body;
  json::Document d;
  ASSERT_TRUE(json::parse(r.body, d));
  EXPECT_EQ(d["expires_in"].GetInt64(), 120);
  a.jti = "jti-2";
  ASSERT_EQ(post_assertion(sign_jwt(a.claims(), *remote_key, JwtAlg::ES384, "remote-1")).status, 200);
  EXPECT_EQ(fetches_, 1);

  // The client rotates its key: an unknown kid refetches the set (not more than every 30 s).
  auto next_key = generate_ec_key("P-384");
  remote_jwks_ = jwks_of(*next_key, "remote-2", JwtAlg::ES384);
  a.jti = "jti-3";
  now_ += 31;
  a.exp = now_ + 200;
  EXPECT_EQ(post_assertion(sign_jwt(a.claims(), *next_key, JwtAlg::ES384, "remote-2")).status, 200);
  EXPECT_EQ(fetches_, 2);
  a.jti = "jti-4";
  expect_invalid_client(post_assertion(sign_jwt(a.claims(), *next_key, JwtAlg::ES384, "remote-3")), "no key with kid");
  EXPECT_EQ(fetches_, 2);  // too soon to fetch again
}

TEST_F(TokenEndpointAssertionTest, SecretAuthenticationDoesNotWorkForKeyOnlyClients) {
  Request req;
  req.method = "POST";
  req.headers.set("Content-Type", "application/x-www-form-urlencoded");
  req.body = "grant_type=client_credentials&client_id=backend-es&client_secret=whatever-secret-value";
  expect_invalid_client(endpoint_->handle_token_request(req), "wrong secret");
}
