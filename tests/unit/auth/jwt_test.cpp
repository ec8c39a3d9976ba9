#include "auth/jwt.h"

#include <gtest/gtest.h>

using namespace healthd;
using namespace healthd::auth;

namespace {

std::string b64(std::string_view s) { return base64url_encode(s); }

// One RSA key for the file: generating them is slow.
std::shared_ptr<const Key> rsa_key() {
  static const auto key = generate_rsa_key(2048);
  return key;
}

std::string unsigned_token(std::string_view header, std::string_view payload, std::string_view sig = "") {
  return b64(header) + "." + b64(payload) + "." + b64(sig);
}

std::shared_ptr<const Key> public_half(const Key& key, JwtAlg alg) {
  json::Document d;
  EXPECT_TRUE(json::parse(key.public_jwk_json("k", alg), d));
  auto jwk = parse_jwk(d);
  EXPECT_TRUE(jwk.has_value());
  return jwk ? jwk->key : nullptr;
}

// RFC 7515 appendix A.3: an ES256 JWS and its P-256 public key.
constexpr const char* kRfc7515A3Token =
    "eyJhbGciOiJFUzI1NiJ9."
    "eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ."
    "DtEhU3ljbEg8L38VWAfUAqOyKAM6-Xx-F4GawxaepmXFCgfTjDxw5djxLa8ISlSApmWQxfKTUJqPP3-Kg6NU1Q";
constexpr const char* kRfc7515A3Jwk =
    R"({"kty":"EC","crv":"P-256","x":"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",)"
    R"("y":"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0"})";

// RFC 7517 appendix A.1 (public keys): an EC key marked use=enc and an RSA signing key.
constexpr const char* kRfc7517A1 = R"({"keys":
  [
    {"kty":"EC",
     "crv":"P-256",
     "x":"MKBCTNIcKUSDii11ySs3526iDZ8AiTo7Tu6KPAqv7D4",
     "y":"4Etl6SRW2YiLUrN5vfvVHuhp7x8PxltmWWlbbM4IFyM",
     "use":"enc",
     "kid":"1"},

    {"kty":"RSA",
     "n": "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw",
     "e":"AQAB",
     "alg":"RS256",
     "kid":"2011-04-29"}
  ]
})";

}  // namespace

TEST(Base64Url, Rfc4648Vectors) {
  const std::pair<const char*, const char*> vectors[] = {
      {"", ""},         {"f", "Zg"},         {"fo", "Zm8"},        {"foo", "Zm9v"},
      {"foob", "Zm9vYg"}, {"fooba", "Zm9vYmE"}, {"foobar", "Zm9vYmFy"},
  };
  for (auto [plain, encoded] : vectors) {
    EXPECT_EQ(base64url_encode(plain), encoded);
    EXPECT_EQ(base64url_decode(encoded), plain);
  }
  EXPECT_EQ(base64url_encode("\xfb\xff\xbf"), "-_-_");  // url-safe alphabet, never + or /
  EXPECT_EQ(base64url_encode("\xfb\xff"), "-_8");
  // RFC 7515 section 3.3 header.
  EXPECT_EQ(base64url_encode("{\"typ\":\"JWT\",\r\n \"alg\":\"HS256\"}"), "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9");
}

TEST(Base64Url, AcceptsPaddingRejectsGarbage) {
  EXPECT_EQ(base64url_decode("Zg=="), "f");
  EXPECT_EQ(base64url_decode("Zm8="), "fo");
  EXPECT_FALSE(base64url_decode("Zg="));     // padding to a length not a multiple of 4
  EXPECT_FALSE(base64url_decode("Zm9v="));   // padding where none belongs
  EXPECT_FALSE(base64url_decode("Zg==="));
  EXPECT_FALSE(base64url_decode("Z"));       // one character cannot hold a byte
  EXPECT_FALSE(base64url_decode("Zm+v"));    // standard base64 characters
  EXPECT_FALSE(base64url_decode("Zm/v"));
  EXPECT_FALSE(base64url_decode("Zm 9v"));
  EXPECT_FALSE(base64url_decode("Zm9v\n"));
  EXPECT_FALSE(base64url_decode("Z=g"));
}

TEST(Base64Url, RoundTripsEveryByte) {
  std::string all;
  for (int i = 0; i < 256; ++i) all += static_cast<char>(i);
  for (size_t n = 0; n < 8; ++n) {
    std::string part = all.substr(250 - n, n);
    EXPECT_EQ(base64url_decode(base64url_encode(part)), part);
  }
  EXPECT_EQ(base64url_decode(base64url_encode(all)), all);
}

TEST(Jwt, ParsesOnlySupportedAlgorithms) {
  EXPECT_EQ(parse_alg("RS256"), JwtAlg::RS256);
  EXPECT_EQ(parse_alg("RS384"), JwtAlg::RS384);
  EXPECT_EQ(parse_alg("ES256"), JwtAlg::ES256);
  EXPECT_EQ(parse_alg("ES384"), JwtAlg::ES384);
  for (const char* bad : {"none", "None", "HS256", "HS384", "HS512", "rs256", "PS256", "ES512", "EdDSA", ""}) {
    EXPECT_FALSE(parse_alg(bad)) << bad;
  }
  EXPECT_STREQ(alg_name(JwtAlg::ES384), "ES384");
}

TEST(Jwt, SignVerifyRoundTripForAllAlgorithms) {
  auto rsa = rsa_key();
  auto p256 = generate_ec_key("P-256");
  auto p384 = generate_ec_key("P-384");
  const std::tuple<JwtAlg, std::shared_ptr<const Key>, size_t> cases[] = {
      {JwtAlg::RS256, rsa, 256}, {JwtAlg::RS384, rsa, 256}, {JwtAlg::ES256, p256, 64}, {JwtAlg::ES384, p384, 96}};
  for (const auto& [alg, key, sig_size] : cases) {
    SCOPED_TRACE(alg_name(alg));
    std::string token = sign_jwt(R"({"sub":"alice","n":1})", *key, alg, "kid-1");
    std::string error;
    auto jwt = decode_jwt(token, &error);
    ASSERT_TRUE(jwt) << error;
    EXPECT_EQ(jwt->alg, alg);
    EXPECT_EQ(jwt->alg_text, alg_name(alg));
    EXPECT_EQ(jwt->kid, "kid-1");
    EXPECT_EQ(json::get_string(jwt->header, "typ"), "JWT");
    EXPECT_EQ(json::get_string(jwt->claims, "sub"), "alice");
    EXPECT_EQ(jwt->signature.size(), sig_size);  // ES*: raw r || s, not DER
    auto pub = public_half(*key, alg);
    ASSERT_TRUE(pub);
    EXPECT_FALSE(pub->is_private());
    EXPECT_TRUE(verify_jwt_signature(*jwt, *pub));
    EXPECT_TRUE(verify_jwt_signature(*jwt, *key));
  }
}

TEST(Jwt, PemRoundTrip) {
  for (auto key : {rsa_key(), generate_ec_key("P-256"), generate_ec_key("P-384")}) {
    std::string pem = key->to_pem();
    EXPECT_NE(pem.find("-----BEGIN PRIVATE KEY-----"), std::string::npos);
    std::string error;
    auto loaded = key_from_pem(pem, &error);
    ASSERT_TRUE(loaded) << error;
    EXPECT_TRUE(loaded->is_private());
    EXPECT_EQ(loaded->is_rsa(), key->is_rsa());
    EXPECT_EQ(loaded->curve(), key->curve());
    JwtAlg alg = key->is_rsa() ? JwtAlg::RS256 : key->curve() == "P-256" ? JwtAlg::ES256 : JwtAlg::ES384;
    EXPECT_EQ(loaded->public_jwk_json("k", alg), key->public_jwk_json("k", alg));
    auto jwt = decode_jwt(sign_jwt("{}", *loaded, alg, "k"));
    ASSERT_TRUE(jwt);
    EXPECT_TRUE(verify_jwt_signature(*jwt, *key));
  }
  std::string error;
  EXPECT_FALSE(key_from_pem("not a key", &error));
  EXPECT_FALSE(error.empty());
}

TEST(Jwt, TamperedTokensFail) {
  auto key = generate_ec_key("P-256");
  std::string token = sign_jwt(R"({"sub":"alice"})", *key, JwtAlg::ES256, "k");
  size_t dot1 = token.find('.'), dot2 = token.rfind('.');

  std::string other_payload = token.substr(0, dot1) + "." + b64(R"({"sub":"mallory"})") + token.substr(dot2);
  auto jwt = decode_jwt(other_payload);
  ASSERT_TRUE(jwt);
  EXPECT_FALSE(verify_jwt_signature(*jwt, *key));

  auto good = decode_jwt(token);
  ASSERT_TRUE(good);
  for (size_t i : {size_t{0}, size_t{31}, size_t{63}}) {
    DecodedJwt bad = std::move(*decode_jwt(token));
    bad.signature[i] ^= 0x01;
    EXPECT_FALSE(verify_jwt_signature(bad, *key));
  }
  DecodedJwt truncated = std::move(*decode_jwt(token));
  truncated.signature.pop_back();
  EXPECT_FALSE(verify_jwt_signature(truncated, *key));

  auto rsa = rsa_key();
  DecodedJwt rsa_bad = std::move(*decode_jwt(sign_jwt("{}", *rsa, JwtAlg::RS256, "k")));
  rsa_bad.signature[10] ^= 0x40;
  EXPECT_FALSE(verify_jwt_signature(rsa_bad, *rsa));
}

TEST(Jwt, AlgNoneAndHmacAreRejected) {
  auto rsa = rsa_key();
  auto none = decode_jwt(unsigned_token(R"({"alg":"none"})", R"({"sub":"x"})"));
  ASSERT_TRUE(none);
  EXPECT_FALSE(none->alg);
  EXPECT_EQ(none->alg_text, "none");
  EXPECT_FALSE(verify_jwt_signature(*none, *rsa));

  auto hs = decode_jwt(unsigned_token(R"({"alg":"HS256","kid":"k"})", R"({"sub":"x"})", "0123456789abcdef"));
  ASSERT_TRUE(hs);
  EXPECT_FALSE(hs->alg);
  EXPECT_FALSE(verify_jwt_signature(*hs, *rsa));
}

TEST(Jwt, AlgorithmMustFitTheKey) {
  auto rsa = rsa_key();
  auto p256 = generate_ec_key("P-256");
  auto p384 = generate_ec_key("P-384");

  auto rs = decode_jwt(sign_jwt("{}", *rsa, JwtAlg::RS256, "k"));
  auto es256 = decode_jwt(sign_jwt("{}", *p256, JwtAlg::ES256, "k"));
  auto es384 = decode_jwt(sign_jwt("{}", *p384, JwtAlg::ES384, "k"));
  ASSERT_TRUE(rs && es256 && es384);
  EXPECT_FALSE(verify_jwt_signature(*rs, *p256));
  EXPECT_FALSE(verify_jwt_signature(*es256, *rsa));
  EXPECT_FALSE(verify_jwt_signature(*es256, *p384));
  EXPECT_FALSE(verify_jwt_signature(*es384, *p256));

  // Same key, wrong hash: an RS256 signature presented as RS384 must not verify.
  DecodedJwt relabelled = std::move(*decode_jwt(sign_jwt("{}", *rsa, JwtAlg::RS256, "k")));
  relabelled.alg = JwtAlg::RS384;
  EXPECT_FALSE(verify_jwt_signature(relabelled, *rsa));

  EXPECT_THROW(sign_jwt("{}", *p256, JwtAlg::RS256, "k"), std::invalid_argument);
  EXPECT_THROW(sign_jwt("{}", *p384, JwtAlg::ES256, "k"), std::invalid_argument);
  EXPECT_THROW(sign_jwt("{}", *public_half(*rsa, JwtAlg::RS256), JwtAlg::RS256, "k"), std::invalid_argument);
  EXPECT_THROW(sign_jwt("[1]", *rsa, JwtAlg::RS256, "k"), std::invalid_argument);
  EXPECT_THROW(generate_rsa_key(1024), std::invalid_argument);
  EXPECT_THROW(generate_ec_key("P-521"), std::invalid_argument);
}

TEST(Jwt, DecodeRejectsMalformedTokens) {
  std::string body = b64(R"({"sub":"x"})");
  std::string header = b64(R"({"alg":"RS256"})");
  for (const std::string& bad : {
           std::string(""), std::string("abc"), header + "." + body, header + "." + body + ".." ,
           header + "." + body + ".a.b", b64("not json") + "." + body + ".", b64("[1]") + "." + body + ".",
           header + "." + b64("[]") + ".", header + "." + body + ".a+b", "!!." + body + ".",
           b64(R"({"alg":"RS256","alg":"none"})") + "." + body + ".",  // duplicate member
           header + "." + b64(R"({"sub":"a","sub":"b"})") + ".",
           b64(R"({"alg":"RS256","crit":["exp"]})") + "." + body + ".",
           b64(R"({"alg":"RS256","kid":7})") + "." + body + ".", b64(R"({"kid":"k"})") + "." + body + ".",
           b64(R"({"alg":256})") + "." + body + "."}) {
    std::string error;
    EXPECT_FALSE(decode_jwt(bad, &error)) << bad;
    EXPECT_FALSE(error.empty()) << bad;
  }
  EXPECT_TRUE(decode_jwt(header + "." + body + "."));  // empty signature is structurally fine
}

TEST(Jwt, VerifiesRfc7515EcdsaExample) {
  json::Document d;
  ASSERT_TRUE(json::parse(kRfc7515A3Jwk, d));
  auto jwk = parse_jwk(d);
  ASSERT_TRUE(jwk);
  EXPECT_EQ(jwk->key->curve(), "P-256");
  auto jwt = decode_jwt(kRfc7515A3Token);
  ASSERT_TRUE(jwt);
  EXPECT_EQ(jwt->alg, JwtAlg::ES256);
  EXPECT_TRUE(verify_jwt_signature(*jwt, *jwk->key));
  jwt->signing_input.back() ^= 0x01;
  EXPECT_FALSE(verify_jwt_signature(*jwt, *jwk->key));
}

TEST(Jwks, ParsesRfc7517ExampleSet) {
  std::string error;
  auto keys = parse_jwks(kRfc7517A1, &error);
  ASSERT_TRUE(keys) << error;
  ASSERT_EQ(keys->size(), 1u);  // the EC key is an encryption key: skipped
  EXPECT_EQ((*keys)[0].kid, "2011-04-29");
  EXPECT_EQ((*keys)[0].alg, "RS256");
  EXPECT_TRUE((*keys)[0].key->is_rsa());
  EXPECT_FALSE((*keys)[0].key->is_private());
  // Exported again, the modulus is the same text.
  EXPECT_NE((*keys)[0].key->public_jwk_json("x", JwtAlg::RS256).find("\"n\":\"0vx7agoebGcQSuuPiLJXZptN9nndrQ"),
            std::string::npos);
}

TEST(Jwks, ParsesHandWrittenSetSkippingUnsupportedKeys) {
  const char* text = R"({"keys":[
    {"kty":"EC","crv":"P-256","use":"sig","kid":"ec1",
     "x":"MKBCTNIcKUSDii11ySs3526iDZ8AiTo7Tu6KPAqv7D4","y":"4Etl6SRW2YiLUrN5vfvVHuhp7x8PxltmWWlbbM4IFyM"},
    {"kty":"oct","k":"AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow","kid":"hmac"},
    {"kty":"EC","crv":"P-521","kid":"p521","x":"AA","y":"AA"},
    {"kty":"EC","crv":"P-256","kid":"off-curve",
     "x":"MKBCTNIcKUSDii11ySs3526iDZ8AiTo7Tu6KPAqv7D4","y":"4Etl6SRW2YiLUrN5vfvVHuhp7x8PxltmWWlbbM4IFyA"},
    {"kty":"EC","crv":"P-256","kid":"short","x":"MKBC","y":"4Etl"},
    {"kty":"RSA","kid":"no-e","n":"0vx7"},
    {"kty":"RSA","kid":"hs-alg","alg":"HS256","n":"0vx7","e":"AQAB"},
    "not an object"
  ]})";
  std::string error;
  auto keys = parse_jwks(text, &error);
  ASSERT_TRUE(keys) << error;
  ASSERT_EQ(keys->size(), 1u);
  EXPECT_EQ((*keys)[0].kid, "ec1");
  EXPECT_EQ((*keys)[0].alg, "");
  EXPECT_EQ((*keys)[0].key->curve(), "P-256");

  EXPECT_FALSE(parse_jwks("{\"keys\":[", &error));
  EXPECT_FALSE(parse_jwks("{\"nokeys\":[]}", &error));
  EXPECT_FALSE(parse_jwks("[]", &error));
  EXPECT_TRUE(parse_jwks("{\"keys\":[]}")->empty());
}

TEST(Jwks, PublicJwkExportHasTheStandardMembers) {
  auto rsa = rsa_key();
  auto p384 = generate_ec_key("P-384");
  json::Document d;
  ASSERT_TRUE(json::parse(rsa->public_jwk_json("r1", JwtAlg::RS384), d));
  EXPECT_EQ(json::get_string(d, "kty"), "RSA");
  EXPECT_EQ(json::get_string(d, "kid"), "r1");
  EXPECT_EQ(json::get_string(d, "alg"), "RS384");
  EXPECT_EQ(json::get_string(d, "use"), "sig");
  EXPECT_EQ(json::get_string(d, "e"), "AQAB");
  EXPECT_EQ(base64url_decode(*json::get_string(d, "n"))->size(), 256u);
  EXPECT_FALSE(json::get_member(d, "d"));

  ASSERT_TRUE(json::parse(p384->public_jwk_json("e1", JwtAlg::ES384), d));
  EXPECT_EQ(json::get_string(d, "kty"), "EC");
  EXPECT_EQ(json::get_string(d, "crv"), "P-384");
  EXPECT_EQ(base64url_decode(*json::get_string(d, "x"))->size(), 48u);
  EXPECT_EQ(base64url_decode(*json::get_string(d, "y"))->size(), 48u);
  EXPECT_FALSE(json::get_member(d, "d"));
  auto jwk = parse_jwk(d);
  ASSERT_TRUE(jwk);
  auto jwt = decode_jwt(sign_jwt("{}", *p384, JwtAlg::ES384, "e1"));
  EXPECT_TRUE(verify_jwt_signature(*jwt, *jwk->key));

  // A JWK whose alg does not fit its key is refused.
  std::string error;
  ASSERT_TRUE(json::parse(p384->public_jwk_json("e1", JwtAlg::ES256), d));
  EXPECT_FALSE(parse_jwk(d, &error));
}
