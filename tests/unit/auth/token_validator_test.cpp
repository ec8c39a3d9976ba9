#include "auth/token_validator.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <atomic>
#include <filesystem>
#include <map>
#include <mutex>
#include <thread>

#include "auth/oidc_claims.h"

using namespace healthd;
using namespace healthd::auth;
namespace fs = std::filesystem;

namespace {

constexpr const char* kIssuer = "https://healthd.test";
constexpr const char* kAudience = "https://healthd.test/default/fhir/default";
constexpr const char* kAuthority = "https://login.example.com/tenant1/v2.0";
constexpr const char* kExternalIssuer = "https://login.example.com/tenant1/v2.0";
constexpr const char* kDiscoveryUrl = "https://login.example.com/tenant1/v2.0/.well-known/openid-configuration";
constexpr const char* kJwksUrl = "https://login.example.com/tenant1/discovery/v2.0/keys";

std::string b64(std::string_view s) { return base64url_encode(s); }

// A pretend OpenID provider: URL -> body, counting requests.
struct FakeProvider {
  std::mutex mutex;
  std::map<std::string, std::string> bodies;
  std::map<std::string, int> fetches;
  bool down = false;

  void publish_keys(const std::vector<std::string>& jwks) {
    std::string text = "{\"keys\":[";
    for (size_t i = 0; i < jwks.size(); ++i) text += (i ? "," : "") + jwks[i];
    std::lock_guard g(mutex);
    bodies[kJwksUrl] = text + "]}";
  }
  HttpGet http_get() {
    return [this](const std::string& url) -> std::optional<std::string> {
      std::lock_guard g(mutex);
      ++fetches[url];
      if (down || !bodies.count(url)) return std::nullopt;
      return bodies[url];
    };
  }
  int count(const std::string& url) {
    std::lock_guard g(mutex);
    return fetches[url];
  }
};

class TokenValidatorTest : public ::testing::Test {
 protected:
  // One built-in key set for the suite: RSA key generation is slow.
  static void SetUpTestSuite() {
    std::string tmpl = (fs::temp_directory_path() / "healthd-validator-XXXXXX").string();
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    keys_ = SigningKeys::open(dir_.string());
    other_rsa_ = generate_rsa_key(2048);
  }
  static void TearDownTestSuite() {
    keys_.reset();
    fs::remove_all(dir_);
  }
  void SetUp() override {
    provider_.bodies[kDiscoveryUrl] =
        std::string(R"({"issuer":")") + kExternalIssuer + R"(","jwks_uri":")" + kJwksUrl + R"("})";
  }
  TokenValidator make_validator(ValidatorOptions options = {}) {
    options.now_s = [this] { return now_.load(); };
    return TokenValidator(keys_, kIssuer, {kAuthority}, provider_.http_get(), options);
  }

  // Claims of a valid token from the built-in issuer; extra members replace or add.
  std::string claims(const std::string& extra = "", const std::string& iss = kIssuer) {
    json::Document d(rapidjson::kObjectType);
    auto& a = d.GetAllocator();
    d.AddMember("iss", json::str(iss, a), a);
    d.AddMember("sub", "user-1", a);
    d.AddMember("aud", json::str(kAudience, a), a);
    d.AddMember("iat", now_.load(), a);
    d.AddMember("exp", now_.load() + 3600, a);
    if (!extra.empty()) {
      json::Document more;
      EXPECT_TRUE(json::parse(extra, more));
      for (auto& m : more.GetObject()) {
        d.RemoveMember(m.name.GetString());
        d.AddMember(json::Value(m.name, a), json::Value(m.value, a), a);
      }
    }
    return json::to_string(d);
  }

  TokenValidator::Result check(const TokenValidator& v, const std::string& token) {
    return v.validate(token, {"https://other.test", kAudience});
  }

  static inline fs::path dir_;
  static inline std::shared_ptr<SigningKeys> keys_;
  static inline std::shared_ptr<const Key> other_rsa_;
  FakeProvider provider_;
  std::atomic<int64_t> now_{1'800'000'000};
};

}  // namespace

TEST_F(TokenValidatorTest, ValidTokenFillsThePrincipal) {
  auto v = make_validator();
  auto r = check(v, keys_->sign(claims(R"({"oid":"obj-1","appid":"app-1","azp":"azp-1","tid":"tenant-1",
      "fhirUser":"https://healthd.test/default/fhir/default/Patient/123","roles":["FHIR Data Reader","FHIR SMART User"],
      "scp":"patient/Observation.rs openid  launch/patient"})")));
  ASSERT_TRUE(r.ok) << r.error;
  const Principal& p = r.principal;
  EXPECT_EQ(p.subject, "user-1");
  EXPECT_EQ(p.object_id, "obj-1");
  EXPECT_EQ(p.issuer, kIssuer);
  EXPECT_EQ(p.client_id, "app-1");
  EXPECT_EQ(p.tenant_id, "tenant-1");
  EXPECT_EQ(p.fhir_user, "https://healthd.test/default/fhir/default/Patient/123");
  EXPECT_EQ(p.patient, "123");
  EXPECT_EQ(p.roles, (std::set<std::string>{"FHIR Data Reader", "FHIR SMART User"}));
  EXPECT_EQ(p.scopes, (std::vector<std::string>{"patient/Observation.rs", "openid", "launch/patient"}));
  EXPECT_EQ(p.expires_at, now_ + 3600);
  EXPECT_EQ(p.actions, 0u);  // the roles code computes actions
}

TEST_F(TokenValidatorTest, PrincipalFallbacks) {
  auto v = make_validator();
  auto r = check(v, keys_->sign(claims(R"({"azp":"azp-1","fhirUser":"Practitioner/9","patient":"p-7",
      "roles":"globalReader globalWriter","scope":["system/*.rs","openid"],"aud":["x","https://healthd.test/default/fhir/default"]})")));
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.principal.object_id, "user-1");  // no oid: sub
  EXPECT_EQ(r.principal.client_id, "azp-1");
  EXPECT_EQ(r.principal.patient, "p-7");
  EXPECT_EQ(r.principal.roles, (std::set<std::string>{"globalReader", "globalWriter"}));
  EXPECT_EQ(r.principal.scopes, (std::vector<std::string>{"system/*.rs", "openid"}));

  r = check(v, keys_->sign(claims(R"({"client_id":"c-1","fhirUser":"Practitioner/9"})")));
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.principal.client_id, "c-1");
  EXPECT_EQ(r.principal.patient, "");
}

TEST_F(TokenValidatorTest, PatientIdFromFhirUser) {
  EXPECT_EQ(patient_id_from_fhir_user("Patient/123"), "123");
  EXPECT_EQ(patient_id_from_fhir_user("https://h/fhir/Patient/a-b.c"), "a-b.c");
  EXPECT_EQ(patient_id_from_fhir_user("https://h/fhir/Patient/123/_history/2"), "123");
  EXPECT_EQ(patient_id_from_fhir_user("https://h/fhir/Practitioner/123"), "");
  EXPECT_EQ(patient_id_from_fhir_user("https://h/fhir/Patient/"), "");
  EXPECT_EQ(patient_id_from_fhir_user("https://h/fhir/Patient/bad_id"), "");
  EXPECT_EQ(patient_id_from_fhir_user("123"), "");
}

TEST_F(TokenValidatorTest, RejectsWithAReason) {
  auto v = make_validator();
  const auto& other_key = other_rsa_;
  const std::pair<std::string, std::string> cases[] = {
      {keys_->sign(claims(R"({"exp":1799999000})")), "token expired"},
      {keys_->sign(claims(R"({"nbf":1800000500})")), "token not yet valid"},
      {keys_->sign(claims(R"({"nbf":"soon"})")), "malformed token: nbf is not a number"},
      {keys_->sign(claims(R"({"aud":"https://elsewhere.test"})")), "audience not accepted"},
      {keys_->sign(claims(R"({"aud":["a","b"]})")), "audience not accepted"},
      {keys_->sign(claims(R"({"aud":7})")), "audience not accepted"},
      {keys_->sign(claims("", "https://evil.test")), "issuer not accepted"},
      {keys_->sign(claims(R"({"iss":""})")), "token has no issuer"},
      {sign_jwt(claims(), *other_key, JwtAlg::RS256, "unknown-kid"), "unknown signing key"},
      {sign_jwt(claims(), *other_key, JwtAlg::RS256, keys_->current_kid()), "invalid signature"},
      {sign_jwt(claims(), *generate_ec_key("P-256"), JwtAlg::ES256, keys_->current_kid()), "invalid signature"},
      {b64(R"({"alg":"none"})") + "." + b64(claims()) + ".", "unsupported token algorithm"},
      {b64(R"({"alg":"HS256","kid":")" + keys_->current_kid() + "\"}") + "." + b64(claims()) + ".c2ln",
       "unsupported token algorithm"},
  };
  for (const auto& [token, reason] : cases) {
    auto r = check(v, token);
    EXPECT_FALSE(r.ok) << reason;
    EXPECT_EQ(r.error, reason);
  }
  json::Document no_exp;
  ASSERT_TRUE(json::parse(claims(), no_exp));
  no_exp.RemoveMember("exp");
  EXPECT_EQ(check(v, keys_->sign(json::to_string(no_exp))).error, "token has no expiry");
}

TEST_F(TokenValidatorTest, RejectsMalformedTokens) {
  auto v = make_validator();
  std::string good = keys_->sign(claims());
  for (const std::string& bad : {std::string(""), std::string("abc"), std::string("a.b.c"), good + ".x",
                                 good.substr(0, good.rfind('.')), std::string(20000, 'a'),
                                 good.substr(0, good.find('.')) + ".!!!" + good.substr(good.rfind('.'))}) {
    auto r = check(v, bad);
    EXPECT_FALSE(r.ok);
    EXPECT_EQ(r.error.rfind("malformed token", 0), 0u) << r.error;
  }
  // A tampered payload with the original signature.
  std::string tampered = good.substr(0, good.find('.')) + "." + b64(claims(R"({"roles":["admin"]})")) +
                         good.substr(good.rfind('.'));
  EXPECT_EQ(check(v, tampered).error, "invalid signature");
}

TEST_F(TokenValidatorTest, HonoursClockSkew) {
  auto v = make_validator();  // 60 s
  EXPECT_TRUE(check(v, keys_->sign(claims(R"({"exp":1799999970})"))).ok);   // expired 30 s ago
  EXPECT_FALSE(check(v, keys_->sign(claims(R"({"exp":1799999940})"))).ok);  // expired 60 s ago
  EXPECT_TRUE(check(v, keys_->sign(claims(R"({"nbf":1800000030})"))).ok);   // valid in 30 s
  EXPECT_FALSE(check(v, keys_->sign(claims(R"({"nbf":1800000061})"))).ok);
  EXPECT_TRUE(check(v, keys_->sign(claims(R"({"exp":1800000100.5,"nbf":1799999000.25})"))).ok);

  ValidatorOptions strict;
  strict.clock_skew_s = 0;
  auto s = make_validator(strict);
  EXPECT_EQ(check(s, keys_->sign(claims(R"({"exp":1800000000})"))).error, "token expired");
  EXPECT_TRUE(check(s, keys_->sign(claims(R"({"exp":1800000001})"))).ok);
  EXPECT_EQ(check(s, keys_->sign(claims(R"({"nbf":1800000001})"))).error, "token not yet valid");
}

TEST_F(TokenValidatorTest, AcceptsTokensOfARotatedBuiltinKey) {
  auto v = make_validator();
  std::string old_token = keys_->sign(claims());
  keys_->rotate(4'000'000'000);  // SigningKeys uses the real clock
  EXPECT_TRUE(check(v, old_token).ok);
  EXPECT_TRUE(check(v, keys_->sign(claims())).ok);
}

TEST_F(TokenValidatorTest, ExternalAuthorityViaDiscovery) {
  auto ec = generate_ec_key("P-256");
  const auto& rsa = other_rsa_;
  provider_.publish_keys({ec->public_jwk_json("k1", JwtAlg::ES256), rsa->public_jwk_json("k2", JwtAlg::RS256)});
  auto v = make_validator();
  EXPECT_EQ(provider_.count(kDiscoveryUrl), 0);  // lazy

  auto r = check(v, sign_jwt(claims(R"({"tid":"tenant1"})", kExternalIssuer), *ec, JwtAlg::ES256, "k1"));
  ASSERT_TRUE(r.ok) << r.error;
  EXPECT_EQ(r.principal.issuer, kExternalIssuer);
  EXPECT_EQ(r.principal.tenant_id, "tenant1");
  EXPECT_TRUE(check(v, sign_jwt(claims("", kExternalIssuer), *rsa, JwtAlg::RS256, "k2")).ok);
  EXPECT_EQ(provider_.count(kDiscoveryUrl), 1);
  EXPECT_EQ(provider_.count(kJwksUrl), 1);

  // The key's alg pins the algorithm: an RS384 token under the RS256 key k2 fails.
  EXPECT_EQ(check(v, sign_jwt(claims("", kExternalIssuer), *rsa, JwtAlg::RS384, "k2")).error, "invalid signature");
  // A token whose iss is the authority's but signed by the built-in key is not accepted.
  EXPECT_EQ(check(v, keys_->sign(claims("", kExternalIssuer))).error, "unknown signing key");
  // Another issuer: nothing to discover for it, no extra fetch.
  EXPECT_EQ(check(v, sign_jwt(claims("", "https://login.example.com/other"), *ec, JwtAlg::ES256, "k1")).error,
            "issuer not accepted");
  EXPECT_EQ(provider_.count(kDiscoveryUrl), 1);
}

TEST_F(TokenValidatorTest, UnknownKidRefreshesOnceAndIsRateLimited) {
  auto k1 = generate_ec_key("P-256");
  auto k2 = generate_ec_key("P-384");
  provider_.publish_keys({k1->public_jwk_json("k1", JwtAlg::ES256)});
  auto v = make_validator();  // min_refresh_interval_s = 10
  ASSERT_TRUE(check(v, sign_jwt(claims("", kExternalIssuer), *k1, JwtAlg::ES256, "k1")).ok);
  ASSERT_EQ(provider_.count(kJwksUrl), 1);

  // The provider rotates; a token with the new kid triggers one refetch that finds it.
  provider_.publish_keys({k1->public_jwk_json("k1", JwtAlg::ES256), k2->public_jwk_json("k2", JwtAlg::ES384)});
  now_ += 11;
  std::string new_token = sign_jwt(claims("", kExternalIssuer), *k2, JwtAlg::ES384, "k2");
  auto r = check(v, new_token);
  EXPECT_TRUE(r.ok) << r.error;
  EXPECT_EQ(provider_.count(kJwksUrl), 2);
  EXPECT_TRUE(check(v, new_token).ok);
  EXPECT_EQ(provider_.count(kJwksUrl), 2);

  // Unknown kids within the interval: no fetch at all.
  std::string forged = sign_jwt(claims("", kExternalIssuer), *k1, JwtAlg::ES256, "k9");
  for (int i = 0; i < 5; ++i) EXPECT_EQ(check(v, forged).error, "unknown signing key");
  EXPECT_EQ(provider_.count(kJwksUrl), 2);
  now_ += 10;
  EXPECT_EQ(check(v, forged).error, "unknown signing key");
  EXPECT_EQ(check(v, forged).error, "unknown signing key");
  EXPECT_EQ(provider_.count(kJwksUrl), 3);
  EXPECT_EQ(provider_.count(kDiscoveryUrl), 1);
}

TEST_F(TokenValidatorTest, ProviderDownAtFirstIsRetriedLater) {
  auto k1 = generate_ec_key("P-256");
  provider_.publish_keys({k1->public_jwk_json("k1", JwtAlg::ES256)});
  provider_.down = true;
  auto v = make_validator();
  std::string token = sign_jwt(claims("", kExternalIssuer), *k1, JwtAlg::ES256, "k1");
  EXPECT_EQ(check(v, token).error, "issuer not accepted");
  EXPECT_EQ(provider_.count(kDiscoveryUrl), 1);
  provider_.down = false;
  EXPECT_FALSE(check(v, token).ok);  // retried only after the interval
  EXPECT_EQ(provider_.count(kDiscoveryUrl), 1);
  now_ += 10;
  auto r = check(v, token);
  EXPECT_TRUE(r.ok) << r.error;
  EXPECT_EQ(provider_.count(kDiscoveryUrl), 2);

  // Down again later: the cached keys keep working.
  provider_.down = true;
  now_ += 100;
  EXPECT_TRUE(check(v, token).ok);
}

TEST_F(TokenValidatorTest, StaleKeySetIsRefetched) {
  auto k1 = generate_ec_key("P-256");
  provider_.publish_keys({k1->public_jwk_json("k1", JwtAlg::ES256)});
  ValidatorOptions options;
  options.jwks_max_age_s = 3600;
  auto v = make_validator(options);
  std::string token = sign_jwt(claims(R"({"exp":1800090000})", kExternalIssuer), *k1, JwtAlg::ES256, "k1");
  ASSERT_TRUE(check(v, token).ok);
  now_ += 3600;
  provider_.publish_keys({});  // the provider revoked k1
  EXPECT_EQ(check(v, token).error, "unknown signing key");
  EXPECT_EQ(provider_.count(kJwksUrl), 2);
}

TEST_F(TokenValidatorTest, WorksFromManyThreads) {
  auto k1 = generate_ec_key("P-256");
  provider_.publish_keys({k1->public_jwk_json("k1", JwtAlg::ES256)});
  auto v = make_validator();
  std::string builtin = keys_->sign(claims());
  std::string external = sign_jwt(claims("", kExternalIssuer), *k1, JwtAlg::ES256, "k1");
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 25; ++i) ok += check(v, builtin).ok + check(v, external).ok;
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok, 8 * 25 * 2);
  EXPECT_EQ(provider_.count(kDiscoveryUrl), 1);
}
