// Client secrets at rest, the client registry, its persistence and the config's precedence.
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include "auth/issuer/client_registry.h"
#include "auth/issuer/clients_file.h"
#include "auth/issuer/secret_hash.h"

using namespace healthd::auth::issuer;
namespace fs = std::filesystem;

namespace {

struct TempDir {
  fs::path path;
  TempDir() {
    path = fs::temp_directory_path() /
           ("healthd-issuer-" + std::to_string(::getpid()) + "-" + std::to_string(reinterpret_cast<uintptr_t>(this)));
    fs::remove_all(path);
    fs::create_directories(path);
  }
  ~TempDir() { fs::remove_all(path); }
};

std::string read_file(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

ClientConfig secret_client(std::string id, std::string secret) {
  ClientConfig c;
  c.id = std::move(id);
  c.secret = std::move(secret);
  c.roles = {"FHIR Data Reader"};
  return c;
}

}  // namespace

TEST(IssuerSecretHash, HasTheStoredFormat) {
  std::string h = hash_secret("correct horse battery staple");
  ASSERT_TRUE(h.starts_with("pbkdf2-sha256$120000$")) << h;
  EXPECT_EQ(std::count(h.begin(), h.end(), '$'), 3);
  EXPECT_TRUE(is_valid_secret_hash(h));
  EXPECT_NE(h, hash_secret("correct horse battery staple"));                    // random salt
  EXPECT_FALSE(is_valid_secret_hash("pbkdf2-sha256$1000$c2FsdHNhbHQ$aGFzaA"));  // too few iterations
  EXPECT_FALSE(is_valid_secret_hash("sha256$x"));
  EXPECT_THROW(hash_secret("x", 1000), std::invalid_argument);
}

TEST(IssuerSecretHash, VerifiesOnlyTheRightSecret) {
  std::string h = hash_secret("correct horse battery staple");
  EXPECT_TRUE(verify_secret("correct horse battery staple", h));
  EXPECT_FALSE(verify_secret("correct horse battery stapl", h));
  EXPECT_FALSE(verify_secret("", h));
  EXPECT_FALSE(verify_secret("correct horse battery staple", "garbage"));
  EXPECT_TRUE(constant_time_equals("abc", "abc"));
  EXPECT_FALSE(constant_time_equals("abc", "abd"));
  EXPECT_FALSE(constant_time_equals("abc", "abcd"));
}

TEST(ClientRegistry, AuthenticatesConfiguredClients) {
  ClientRegistry reg("", {secret_client("backend-1", "a-long-enough-secret")});
  auto c = reg.find("backend-1");
  ASSERT_TRUE(c);
  EXPECT_TRUE(c->from_config);
  EXPECT_TRUE(c->secret_hash.starts_with("pbkdf2-sha256$"));
  EXPECT_TRUE(reg.authenticate_secret("backend-1", "a-long-enough-secret"));
  EXPECT_FALSE(reg.authenticate_secret("backend-1", "a-long-enough-secreT"));
  EXPECT_FALSE(reg.authenticate_secret("nobody", "a-long-enough-secret"));
}

TEST(ClientRegistry, RepeatedAuthenticationStaysExact) {
  ClientRegistry reg("", {});
  reg.put(secret_client("repeat", "the-first-secret-1"));
  EXPECT_TRUE(reg.authenticate_secret("repeat", "the-first-secret-1"));
  EXPECT_TRUE(reg.authenticate_secret("repeat", "the-first-secret-1"));  // remembered
  EXPECT_FALSE(reg.authenticate_secret("repeat", "the-first-secret-2"));
  reg.put(secret_client("repeat", "the-second-secret-2"));
  EXPECT_FALSE(reg.authenticate_secret("repeat", "the-first-secret-1"));  // the old secret is forgotten
  EXPECT_TRUE(reg.authenticate_secret("repeat", "the-second-secret-2"));
}

TEST(ClientRegistry, AcceptsAPreHashedSecret) {
  ClientConfig c;
  c.id = "hashed";
  c.secret_hash = hash_secret("another-long-secret");
  ClientRegistry reg("", {c});
  EXPECT_TRUE(reg.authenticate_secret("hashed", "another-long-secret"));
}

TEST(ClientRegistry, RejectsBadDefinitions) {
  EXPECT_THROW(ClientRegistry("", {secret_client("ab", "a-long-enough-secret")}), InvalidClientDefinition);
  EXPECT_THROW(ClientRegistry("", {secret_client("bad/id", "a-long-enough-secret")}), InvalidClientDefinition);
  EXPECT_THROW(ClientRegistry("", {secret_client("short", "tiny")}), InvalidClientDefinition);
  ClientConfig none;
  none.id = "no-credential";
  EXPECT_THROW(ClientRegistry("", {none}), InvalidClientDefinition);
  ClientConfig plain_http = none;
  plain_http.jwks_url = "http://keys.example.com/jwks.json";
  EXPECT_THROW(ClientRegistry("", {plain_http}), InvalidClientDefinition);
  ClientConfig bad_jwks = none;
  bad_jwks.jwks_json = "{\"keys\": 1}";
  EXPECT_THROW(ClientRegistry("", {bad_jwks}), InvalidClientDefinition);
  ClientConfig bad_scope = secret_client("scoped", "a-long-enough-secret");
  bad_scope.scopes = {"has space"};
  EXPECT_THROW(ClientRegistry("", {bad_scope}), InvalidClientDefinition);
  EXPECT_THROW(ClientRegistry("", {secret_client("twice", "a-long-enough-secret"),
                                   secret_client("twice", "a-long-enough-secret")}),
               InvalidClientDefinition);
}

TEST(ClientRegistry, PersistsApiClientsWithMode0600) {
  TempDir dir;
  {
    ClientRegistry reg(dir.path.string(), {});
    auto r = reg.put(secret_client("api-client", "api-client-secret-1"));
    EXPECT_EQ(r.status, ClientRegistry::PutStatus::Created);
    EXPECT_EQ(reg.put(secret_client("api-client", "api-client-secret-2")).status, ClientRegistry::PutStatus::Updated);
    reg.put(secret_client("doomed", "doomed-client-secret"));
    EXPECT_EQ(reg.remove("doomed"), ClientRegistry::RemoveStatus::Removed);
    EXPECT_EQ(reg.remove("doomed"), ClientRegistry::RemoveStatus::NotFound);
  }
  fs::path file = dir.path / "clients.json";
  struct stat st {};
  ASSERT_EQ(::stat(file.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600);
  std::string text = read_file(file);
  EXPECT_EQ(text.find("api-client-secret"), std::string::npos);  // only the hash
  EXPECT_NE(text.find("pbkdf2-sha256$"), std::string::npos);
  EXPECT_FALSE(fs::exists(dir.path / "clients.json.tmp"));

  ClientRegistry again(dir.path.string(), {});
  EXPECT_TRUE(again.authenticate_secret("api-client", "api-client-secret-2"));
  EXPECT_FALSE(again.authenticate_secret("api-client", "api-client-secret-1"));
  EXPECT_FALSE(again.find("doomed"));
  EXPECT_FALSE(again.find("api-client")->from_config);
}

TEST(ClientRegistry, UpdateWithoutSecretKeepsThePreviousOne) {
  ClientRegistry reg("", {});
  reg.put(secret_client("keeper", "the-original-secret"));
  ClientConfig update;
  update.id = "keeper";
  update.roles = {"FHIR Data Writer"};
  reg.put(update);
  EXPECT_TRUE(reg.authenticate_secret("keeper", "the-original-secret"));
  EXPECT_EQ(reg.find("keeper")->roles, std::set<std::string>{"FHIR Data Writer"});
  ClientConfig fresh;
  fresh.id = "fresh-one";
  EXPECT_THROW(reg.put(fresh), InvalidClientDefinition);  // nothing to keep
}

TEST(ClientRegistry, ConfigWinsForTheIdsItDeclares) {
  TempDir dir;
  {
    ClientRegistry reg(dir.path.string(), {});
    reg.put(secret_client("shared-id", "secret-from-the-api"));
    reg.put(secret_client("api-only", "secret-from-the-api"));
  }
  ClientRegistry reg(dir.path.string(), {secret_client("shared-id", "secret-from-config")});
  EXPECT_TRUE(reg.authenticate_secret("shared-id", "secret-from-config"));
  EXPECT_FALSE(reg.authenticate_secret("shared-id", "secret-from-the-api"));
  EXPECT_TRUE(reg.find("shared-id")->from_config);
  EXPECT_TRUE(reg.authenticate_secret("api-only", "secret-from-the-api"));
  EXPECT_EQ(reg.put(secret_client("shared-id", "another-api-secret")).status,
            ClientRegistry::PutStatus::DeclaredInConfig);
  EXPECT_EQ(reg.remove("shared-id"), ClientRegistry::RemoveStatus::DeclaredInConfig);
  // Config clients are not written to the clients file.
  reg.put(secret_client("api-two", "secret-from-the-api"));
  auto stored = read_clients_file((dir.path / "clients.json").string());
  for (const auto& c : stored) EXPECT_NE(c.id, "shared-id");
}

TEST(ClientRegistry, ADamagedFileIsAnError) {
  TempDir dir;
  std::ofstream(dir.path / "clients.json") << "{not json";
  EXPECT_THROW(ClientRegistry(dir.path.string(), {}), std::runtime_error);
}

TEST(ClientRegistry, ConcurrentReadersAndWriters) {
  TempDir dir;
  ClientRegistry reg(dir.path.string(), {});
  ClientConfig def;
  def.secret_hash = hash_secret("concurrent-secret-1");  // hashed once: puts stay fast
  std::vector<std::thread> threads;
  for (int t = 0; t < 3; ++t)
    threads.emplace_back([&reg, def, t] {
      for (int i = 0; i < 20; ++i) {
        ClientConfig c = def;
        c.id = "client-" + std::to_string(t) + "-" + std::to_string(i);
        reg.put(c);
        EXPECT_TRUE(reg.find(c.id));
        EXPECT_GE(reg.list().size(), 1u);
        if (i % 2) {
          EXPECT_EQ(reg.remove(c.id), ClientRegistry::RemoveStatus::Removed);
        }
      }
    });
  for (auto& th : threads) th.join();
  EXPECT_EQ(reg.list().size(), 30u);
  EXPECT_EQ(ClientRegistry(dir.path.string(), {}).list().size(), 30u);
}
