#include "auth/signing_keys.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>

using namespace healthd;
using namespace healthd::auth;
namespace fs = std::filesystem;

namespace {

int64_t now_s() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

unsigned mode_of(const fs::path& p) {
  struct stat st {};
  EXPECT_EQ(::stat(p.c_str(), &st), 0) << p;
  return st.st_mode & 0777;
}

std::vector<std::string> jwks_kids(const SigningKeys& keys) {
  auto set = parse_jwks(keys.jwks_json());
  EXPECT_TRUE(set);
  std::vector<std::string> kids;
  for (const auto& k : *set) kids.push_back(k.kid);
  return kids;
}

bool verifies(const std::string& token, const Key* key) {
  auto jwt = decode_jwt(token);
  return jwt && key && verify_jwt_signature(*jwt, *key);
}

class SigningKeysTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "healthd-signing-keys-XXXXXX").string();
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
};

}  // namespace

TEST_F(SigningKeysTest, CreatesAnRsaKeyInPrivateFiles) {
  auto keys = SigningKeys::open(dir_.string());
  std::string kid = keys->current_kid();
  EXPECT_EQ(kid.size(), 22u);  // base64url of 16 bytes
  EXPECT_EQ(kid, SigningKeys::key_id(*keys->public_key(kid)));
  EXPECT_EQ(mode_of(dir_ / "keys"), 0700u);
  int files = 0;
  for (const auto& entry : fs::directory_iterator(dir_ / "keys")) {
    EXPECT_EQ(mode_of(entry.path()), 0600u) << entry.path();
    ++files;
  }
  EXPECT_GE(files, 2);
  EXPECT_TRUE(fs::exists(dir_ / "keys" / (kid + ".pem")));
  EXPECT_TRUE(fs::exists(dir_ / "keys" / "keys.json"));
  EXPECT_TRUE(keys->public_key(kid)->is_rsa());
  EXPECT_FALSE(keys->public_key(kid)->is_private());
}

TEST_F(SigningKeysTest, SignsRs256WithTheCurrentKid) {
  auto keys = SigningKeys::open(dir_.string());
  std::string token = keys->sign(R"({"sub":"cli"})");
  auto jwt = decode_jwt(token);
  ASSERT_TRUE(jwt);
  EXPECT_EQ(jwt->alg_text, "RS256");
  EXPECT_EQ(jwt->kid, keys->current_kid());
  EXPECT_TRUE(verifies(token, keys->public_key(jwt->kid).get()));
  EXPECT_EQ(jwks_kids(*keys), std::vector<std::string>{keys->current_kid()});
  auto jwk = (*parse_jwks(keys->jwks_json()))[0];
  EXPECT_EQ(jwk.alg, "RS256");
  EXPECT_TRUE(verifies(token, jwk.key.get()));
  EXPECT_EQ(keys->public_key("unknown"), nullptr);
}

TEST_F(SigningKeysTest, ReopeningGivesTheSameKey) {
  auto first = SigningKeys::open(dir_.string());
  auto second = SigningKeys::open(dir_.string());  // e.g. the `healthd token` CLI
  EXPECT_EQ(first->current_kid(), second->current_kid());
  EXPECT_TRUE(verifies(second->sign("{}"), first->public_key(second->current_kid()).get()));
}

TEST_F(SigningKeysTest, RotationKeepsTheOldKeyUntilRetirement) {
  auto keys = SigningKeys::open(dir_.string());
  std::string kid1 = keys->current_kid();
  std::string old_token = keys->sign("{}");

  keys->rotate(now_s() + 3600);
  std::string kid2 = keys->current_kid();
  EXPECT_NE(kid1, kid2);
  EXPECT_EQ(decode_jwt(keys->sign("{}"))->kid, kid2);
  EXPECT_EQ(jwks_kids(*keys), (std::vector<std::string>{kid1, kid2}));
  EXPECT_TRUE(verifies(old_token, keys->public_key(kid1).get()));
  EXPECT_EQ(mode_of(dir_ / "keys" / (kid2 + ".pem")), 0600u);

  // Persisted: another process sees the same state.
  auto reopened = SigningKeys::open(dir_.string());
  EXPECT_EQ(reopened->current_kid(), kid2);
  EXPECT_EQ(jwks_kids(*reopened), (std::vector<std::string>{kid1, kid2}));

  // Rotating again with an immediate retirement drops kid2 at once; kid1 keeps its own date.
  keys->rotate(now_s() - 1);
  std::string kid3 = keys->current_kid();
  EXPECT_EQ(jwks_kids(*keys), (std::vector<std::string>{kid1, kid3}));
  EXPECT_EQ(keys->public_key(kid2), nullptr);
  EXPECT_FALSE(fs::exists(dir_ / "keys" / (kid2 + ".pem")));
  EXPECT_NE(keys->public_key(kid1), nullptr);
}

TEST_F(SigningKeysTest, ReloadPicksUpAnotherProcessRotation) {
  auto server = SigningKeys::open(dir_.string());
  auto cli = SigningKeys::open(dir_.string());
  std::string kid1 = server->current_kid();
  cli->rotate(now_s() + 600);
  EXPECT_EQ(server->current_kid(), kid1);
  server->reload();
  EXPECT_EQ(server->current_kid(), cli->current_kid());
  EXPECT_NE(server->public_key(kid1), nullptr);
}

TEST_F(SigningKeysTest, RefusesAKeyFileThatDoesNotMatchItsKid) {
  std::string kid = SigningKeys::open(dir_.string())->current_kid();
  {
    std::ofstream out(dir_ / "keys" / (kid + ".pem"), std::ios::trunc);
    out << generate_rsa_key(2048)->to_pem();
  }
  EXPECT_THROW(SigningKeys::open(dir_.string()), std::runtime_error);
  {
    std::ofstream out(dir_ / "keys" / "keys.json", std::ios::trunc);
    out << "{not json";
  }
  EXPECT_THROW(SigningKeys::open(dir_.string()), std::runtime_error);
}
