// Management API for OAuth clients: CRUD, validation, and no secret material in any answer.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "auth/issuer/clients_api.h"
#include "auth/jwt.h"
#include "json/json.h"

using namespace healthd;
using namespace healthd::auth;
using namespace healthd::auth::issuer;
namespace fs = std::filesystem;

namespace {

class ClientsApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("healthd-clients-api-" + std::to_string(::getpid()));
    fs::remove_all(dir_);
    ClientConfig declared;
    declared.id = "from-config";
    declared.secret = "config-secret-value-1";
    registry_ = std::make_shared<ClientRegistry>(dir_.string(), std::vector<ClientConfig>{declared});
    api_ = std::make_unique<ClientsApi>(registry_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  Response call(const std::string& method, const std::vector<std::string>& seg, const std::string& body = {}) {
    Request req;
    req.method = method;
    req.path = "/management/clients";
    for (const auto& s : seg) req.path += "/" + s;
    req.body = body;
    Response r = api_->handle_clients_api(req, seg);
    // No answer ever carries a secret or its hash.
    EXPECT_EQ(r.body.find("super-secret-value"), std::string::npos) << r.body;
    EXPECT_EQ(r.body.find("config-secret-value"), std::string::npos) << r.body;
    EXPECT_EQ(r.body.find("pbkdf2"), std::string::npos) << r.body;
    EXPECT_EQ(r.body.find("secretHash"), std::string::npos) << r.body;
    return r;
  }

  static json::Document parse_body(const Response& r) {
    json::Document d;
    EXPECT_TRUE(json::parse(r.body, d)) << r.body;
    return d;
  }

  fs::path dir_;
  std::shared_ptr<ClientRegistry> registry_;
  std::unique_ptr<ClientsApi> api_;
};

}  // namespace

TEST_F(ClientsApiTest, CreateReadUpdateDelete) {
  const std::string body = R"({"properties": {"secret": "super-secret-value-1", "roles": ["FHIR Data Reader"],
                                "scopes": ["system/*.rs"], "tokenLifetimeSeconds": 900}})";
  Response r = call("PUT", {"my-app"}, body);
  ASSERT_EQ(r.status, 201) << r.body;
  auto d = parse_body(r);
  EXPECT_EQ(json::get_string(d, "name").value_or(""), "my-app");
  EXPECT_TRUE(d["properties"]["hasSecret"].GetBool());
  EXPECT_EQ(d["properties"]["tokenLifetimeSeconds"].GetInt64(), 900);
  EXPECT_EQ(json::get_string(d["properties"], "source").value_or(""), "api");
  EXPECT_TRUE(registry_->authenticate_secret("my-app", "super-secret-value-1"));

  r = call("PUT", {"my-app"}, R"({"properties": {"roles": ["FHIR Data Writer"]}})");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_TRUE(registry_->authenticate_secret("my-app", "super-secret-value-1"));  // secret kept

  r = call("GET", {"my-app"});
  ASSERT_EQ(r.status, 200);
  d = parse_body(r);
  ASSERT_EQ(d["properties"]["roles"].Size(), 1u);
  EXPECT_STREQ(d["properties"]["roles"][0].GetString(), "FHIR Data Writer");

  r = call("GET", {});
  ASSERT_EQ(r.status, 200);
  d = parse_body(r);
  ASSERT_TRUE(d["value"].IsArray());
  EXPECT_EQ(d["value"].Size(), 2u);  // from-config and my-app

  EXPECT_EQ(call("DELETE", {"my-app"}).status, 204);
  EXPECT_EQ(call("GET", {"my-app"}).status, 404);
  EXPECT_EQ(call("DELETE", {"my-app"}).status, 404);
  EXPECT_FALSE(registry_->find("my-app"));
}

TEST_F(ClientsApiTest, KeyClientsShowTheirPublicJwks) {
  auto key = generate_ec_key("P-384");
  std::string body = R"({"properties": {"jwks": {"keys": [)" + key->public_jwk_json("k1", JwtAlg::ES384) +
                     R"(]}, "scopes": ["system/*.rs"]}})";
  Response r = call("PUT", {"backend.svc_1"}, body);
  ASSERT_EQ(r.status, 201) << r.body;
  auto d = parse_body(r);
  EXPECT_FALSE(d["properties"]["hasSecret"].GetBool());
  EXPECT_EQ(json::get_string(d["properties"]["jwks"]["keys"][0], "kid").value_or(""), "k1");

  r = call("PUT", {"remote-app"}, R"({"properties": {"jwksUrl": "https://keys.example.com/jwks.json"}})");
  ASSERT_EQ(r.status, 201) << r.body;
  EXPECT_EQ(json::get_string(parse_body(r)["properties"], "jwksUrl").value_or(""),
            "https://keys.example.com/jwks.json");
}

TEST_F(ClientsApiTest, InvalidRequestsAreOperationOutcomes) {
  auto expect_400 = [&](const std::vector<std::string>& seg, const std::string& body) {
    Response r = call("PUT", seg, body);
    EXPECT_EQ(r.status, 400) << body << " -> " << r.body;
    EXPECT_NE(r.body.find("OperationOutcome"), std::string::npos);
  };
  expect_400({"ab"}, R"({"properties": {"secret": "super-secret-value-1"}})");       // id too short
  expect_400({"bad id!"}, R"({"properties": {"secret": "super-secret-value-1"}})");  // id characters
  expect_400({"good-id"}, R"({"properties": {"secret": "short"}})");                 // weak secret
  expect_400({"good-id"}, R"({"properties": {}})");                                  // no credential
  expect_400({"good-id"}, R"({"properties": {"secret": 5}})");
  expect_400({"good-id"}, R"({"properties": {"roles": "FHIR Data Reader", "secret": "super-secret-value-1"}})");
  expect_400({"good-id"}, R"({"properties": {"colour": "red", "secret": "super-secret-value-1"}})");
  expect_400({"good-id"}, R"({"properties": {"jwksUrl": "ftp://x", "secret": "super-secret-value-1"}})");
  expect_400({"good-id"}, R"({"properties": {"tokenLifetimeSeconds": -1, "secret": "super-secret-value-1"}})");
  expect_400({"good-id"}, "not json");
  expect_400({"good-id"}, "{}");
  EXPECT_FALSE(registry_->find("good-id"));
}

TEST_F(ClientsApiTest, ConfigClientsAreReadOnly) {
  Response r = call("GET", {"from-config"});
  ASSERT_EQ(r.status, 200);
  EXPECT_EQ(json::get_string(parse_body(r)["properties"], "source").value_or(""), "config");
  EXPECT_EQ(call("PUT", {"from-config"}, R"({"properties": {"secret": "super-secret-value-1"}})").status, 409);
  EXPECT_EQ(call("DELETE", {"from-config"}).status, 409);
  EXPECT_TRUE(registry_->authenticate_secret("from-config", "config-secret-value-1"));
}

TEST_F(ClientsApiTest, MethodsAndPaths) {
  Response r = call("POST", {});
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(r.headers.get("Allow").value_or(""), "GET");
  r = call("PATCH", {"my-app"});
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(call("GET", {"my-app", "extra"}).status, 404);
}
