// The management API, exercised through Platform::handle.
#include <gtest/gtest.h>

#include <filesystem>

#include "test_support.h"

namespace healthd::workspace::test {
namespace {

namespace fs = std::filesystem;

using ManagementApiTest = PlatformTest;

TEST_F(ManagementApiTest, ListsTheDefaultWorkspace) {
  Response r = call("GET", "/management/workspaces");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.headers.get("Content-Type").value_or(""), "application/json; charset=utf-8");
  EXPECT_EQ(r.service, "management");
  EXPECT_EQ(r.route, "management.workspaces.list");
  auto doc = parse_body(r);
  ASSERT_EQ(doc["value"].Size(), 1u);
  EXPECT_STREQ(doc["value"][0]["name"].GetString(), "default");
  EXPECT_STREQ(doc["value"][0]["id"].GetString(), "/workspaces/default");
  EXPECT_STREQ(doc["value"][0]["type"].GetString(), "workspaces");
  EXPECT_STREQ(doc["value"][0]["properties"]["fhirServices"][0].GetString(), "default");
}

TEST_F(ManagementApiTest, CreateGetUpdateDeleteWorkspace) {
  Response created = call("PUT", "/management/workspaces/research", R"({"properties": {}})");
  ASSERT_EQ(created.status, 201) << created.body;
  EXPECT_EQ(created.route, "management.workspace.put");
  auto doc = parse_body(created);
  EXPECT_STREQ(doc["id"].GetString(), "/workspaces/research");
  EXPECT_STREQ(doc["name"].GetString(), "research");
  EXPECT_STREQ(doc["properties"]["provisioningState"].GetString(), "Succeeded");
  EXPECT_EQ(doc["properties"]["fhirServices"].Size(), 0u);

  EXPECT_EQ(call("PUT", "/management/workspaces/research").status, 200);  // body optional; exists: 200
  EXPECT_EQ(call("GET", "/management/workspaces/research").status, 200);
  EXPECT_EQ(parse_body(call("GET", "/management/workspaces"))["value"].Size(), 2u);

  Response deleted = call("DELETE", "/management/workspaces/research");
  EXPECT_EQ(deleted.status, 200);
  EXPECT_EQ(deleted.route, "management.workspace.delete");
  Response gone = call("GET", "/management/workspaces/research");
  EXPECT_EQ(gone.status, 404);
  EXPECT_EQ(issue_code(gone), "not-found");
  EXPECT_NE(diagnostics(gone).find("research"), std::string::npos);
  EXPECT_EQ(call("DELETE", "/management/workspaces/research").status, 404);
}

TEST_F(ManagementApiTest, WorkspaceWithServicesCannotBeDeleted) {
  Response r = call("DELETE", "/management/workspaces/default");
  EXPECT_EQ(r.status, 409);
  EXPECT_EQ(issue_code(r), "conflict");
  EXPECT_NE(diagnostics(r).find("default"), std::string::npos);
  EXPECT_EQ(call("GET", "/management/workspaces/default").status, 200);
}

TEST_F(ManagementApiTest, CreateUpdateDeleteFhirService) {
  ASSERT_EQ(call("PUT", "/management/workspaces/research").status, 201);
  Response created = call("PUT", "/management/workspaces/research/fhirservices/cohort1",
                          R"({"properties": {"versioning": "no-version", "versioningByType": {"Patient": "version-update"},
                              "defaultCount": 5, "maxCount": 50, "maxResourceBytes": 100000}})");
  ASSERT_EQ(created.status, 201) << created.body;
  EXPECT_EQ(created.route, "management.fhirservice.put");
  auto doc = parse_body(created);
  EXPECT_STREQ(doc["id"].GetString(), "/workspaces/research/fhirservices/cohort1");
  EXPECT_STREQ(doc["type"].GetString(), "workspaces/fhirservices");
  const auto& p = doc["properties"];
  EXPECT_STREQ(p["provisioningState"].GetString(), "Succeeded");
  EXPECT_STREQ(p["serviceUrl"].GetString(), "http://localhost:8080/research/fhir/cohort1");
  EXPECT_STREQ(p["versioning"].GetString(), "no-version");
  EXPECT_STREQ(p["versioningByType"]["Patient"].GetString(), "version-update");
  EXPECT_EQ(p["defaultCount"].GetInt(), 5);
  EXPECT_EQ(p["maxCount"].GetInt(), 50);
  EXPECT_EQ(p["maxResourceBytes"].GetInt(), 100000);
  EXPECT_TRUE(fs::exists(data_path("workspaces/research/fhirservices/cohort1")));

  // The workspace lists it; the list of services has it.
  EXPECT_STREQ(parse_body(call("GET", "/management/workspaces/research"))["properties"]["fhirServices"][0].GetString(),
               "cohort1");
  Response list = call("GET", "/management/workspaces/research/fhirservices");
  ASSERT_EQ(list.status, 200);
  EXPECT_EQ(parse_body(list)["value"].Size(), 1u);

  // Data written through the service survives a settings update.
  Request post = make_request("POST", "/research/fhir/cohort1/Patient", R"({"resourceType":"Patient"})");
  post.headers.set("Content-Type", "application/fhir+json");
  Response made = handle_as_admin(post);
  ASSERT_EQ(made.status, 201) << made.body;
  std::string id = parse_body(made)["id"].GetString();

  Response updated = call("PUT", "/management/workspaces/research/fhirservices/cohort1",
                          R"({"properties": {"maxCount": 200}})");
  ASSERT_EQ(updated.status, 200) << updated.body;
  EXPECT_EQ(parse_body(updated)["properties"]["maxCount"].GetInt(), 200);
  EXPECT_STREQ(parse_body(updated)["properties"]["versioning"].GetString(), "versioned");  // PUT replaces
  Response get = call("GET", "/management/workspaces/research/fhirservices/cohort1");
  EXPECT_EQ(parse_body(get)["properties"]["maxCount"].GetInt(), 200);
  EXPECT_EQ(call("GET", "/research/fhir/cohort1/Patient/" + id).status, 200);

  // A GET answer can be PUT back as is.
  EXPECT_EQ(call("PUT", "/management/workspaces/research/fhirservices/cohort1", get.body).status, 200);

  Response deleted = call("DELETE", "/management/workspaces/research/fhirservices/cohort1");
  EXPECT_EQ(deleted.status, 200);
  EXPECT_FALSE(fs::exists(data_path("workspaces/research/fhirservices/cohort1")));
  EXPECT_EQ(call("GET", "/management/workspaces/research/fhirservices/cohort1").status, 404);
  EXPECT_EQ(call("DELETE", "/management/workspaces/research/fhirservices/cohort1").status, 404);
  Response fhir_gone = call("GET", "/research/fhir/cohort1/Patient/" + id);
  EXPECT_EQ(fhir_gone.status, 404);
  EXPECT_NE(diagnostics(fhir_gone).find("cohort1"), std::string::npos);

  // Now empty, the workspace can go (with its directory).
  EXPECT_EQ(call("DELETE", "/management/workspaces/research").status, 200);
  EXPECT_FALSE(fs::exists(data_path("workspaces/research")));
}

TEST_F(ManagementApiTest, ARecreatedServiceStartsEmpty) {
  Request post = make_request("POST", "/default/fhir/default/Patient", R"({"resourceType":"Patient"})");
  Response made = handle_as_admin(post);
  ASSERT_EQ(made.status, 201) << made.body;
  std::string id = parse_body(made)["id"].GetString();
  ASSERT_EQ(call("DELETE", "/management/workspaces/default/fhirservices/default").status, 200);
  ASSERT_EQ(call("PUT", "/management/workspaces/default/fhirservices/default").status, 201);
  EXPECT_EQ(call("GET", "/default/fhir/default/Patient/" + id).status, 404);
}

TEST_F(ManagementApiTest, ServiceInMissingWorkspaceIs404) {
  Response r = call("PUT", "/management/workspaces/nowhere/fhirservices/abc");
  EXPECT_EQ(r.status, 404);
  EXPECT_NE(diagnostics(r).find("nowhere"), std::string::npos);
  EXPECT_EQ(call("GET", "/management/workspaces/nowhere/fhirservices").status, 404);
  EXPECT_EQ(call("GET", "/management/workspaces/default/fhirservices/nothere").status, 404);
}

TEST_F(ManagementApiTest, BadNamesAre400) {
  Response r = call("PUT", "/management/workspaces/Bad_Name");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(issue_code(r), "invalid");
  EXPECT_NE(diagnostics(r).find("Bad_Name"), std::string::npos);
  EXPECT_EQ(call("PUT", "/management/workspaces/ab").status, 400);
  EXPECT_EQ(call("PUT", "/management/workspaces/default/fhirservices/x").status, 400);
  EXPECT_EQ(call("PUT", "/management/workspaces/default/fhirservices/UPPER").status, 400);
}

TEST_F(ManagementApiTest, BadBodiesAre400) {
  const std::string svc = "/management/workspaces/default/fhirservices/other";
  Response bad_json = call("PUT", svc, "{not json");
  EXPECT_EQ(bad_json.status, 400);
  EXPECT_NE(diagnostics(bad_json).find("JSON"), std::string::npos);
  EXPECT_EQ(call("PUT", svc, "[1]").status, 400);
  EXPECT_EQ(call("PUT", svc, R"({"properties": 3})").status, 400);

  Response unknown = call("PUT", svc, R"({"properties": {"colour": "blue"}})");
  EXPECT_EQ(unknown.status, 400);
  EXPECT_NE(diagnostics(unknown).find("properties.colour"), std::string::npos);

  Response bad_versioning = call("PUT", svc, R"({"properties": {"versioning": "sometimes"}})");
  EXPECT_EQ(bad_versioning.status, 400);
  EXPECT_NE(diagnostics(bad_versioning).find("properties.versioning"), std::string::npos);

  Response bad_type = call("PUT", svc, R"({"properties": {"versioningByType": {"Patinet": "no-version"}}})");
  EXPECT_EQ(bad_type.status, 400);
  EXPECT_NE(diagnostics(bad_type).find("Patinet"), std::string::npos);

  EXPECT_EQ(call("PUT", svc, R"({"properties": {"maxCount": "many"}})").status, 400);
  EXPECT_EQ(call("PUT", svc, R"({"properties": {"maxCount": 0}})").status, 400);
  EXPECT_EQ(call("PUT", svc, R"({"properties": {"defaultCount": 50, "maxCount": 20}})").status, 400);
  EXPECT_EQ(call("PUT", svc, R"({"propertees": {}})").status, 400);
  EXPECT_EQ(call("PUT", "/management/workspaces/default", R"({"properties": {"colour": 1}})").status, 400);
  // Nothing was created by the failed requests.
  EXPECT_EQ(call("GET", svc).status, 404);
  // Resource-manager envelope members are accepted.
  EXPECT_EQ(call("PUT", svc, R"({"location": "local", "tags": {}, "properties": {}})").status, 201);
}

TEST_F(ManagementApiTest, DicomServicesLikeFhirServices) {
  const std::string svc = "/management/workspaces/default/dicomservices/imaging";
  Response made = call("PUT", svc, R"({"properties": {"overwrite": true}})");
  EXPECT_EQ(made.status, 201) << made.body;
  EXPECT_EQ(made.route, "management.dicomservice.put");
  EXPECT_TRUE(parse_body(made)["properties"]["overwrite"].GetBool());
  EXPECT_EQ(call("PUT", svc, R"({"properties": {"overwrite": 1}})").status, 400);
  EXPECT_EQ(call("PUT", svc, R"({"properties": {"versioning": "versioned"}})").status, 400);
  EXPECT_EQ(call("GET", svc).status, 200);
  EXPECT_EQ(call("GET", "/management/workspaces/default/dicomservices").status, 200);
  EXPECT_EQ(call("DELETE", svc).status, 200);
  EXPECT_EQ(call("GET", svc).status, 404);
}

TEST_F(ManagementApiTest, IotConnectorsAndDestinations) {
  const std::string c = "/management/workspaces/default/iotconnectors/devices";
  const std::string mapping = R"({"templateType": "CollectionContent", "template": []})";
  Response created = call("PUT", c, R"({"properties": {"deviceMapping": {"content": )" + mapping + R"(}, "queueLimit": 7}})");
  ASSERT_EQ(created.status, 201) << created.body;
  EXPECT_EQ(created.route, "management.iotconnector.put");
  auto doc = parse_body(created);
  EXPECT_STREQ(doc["type"].GetString(), "workspaces/iotconnectors");
  EXPECT_EQ(doc["properties"]["queueLimit"].GetUint64(), 7u);
  EXPECT_STREQ(doc["properties"]["serviceUrl"].GetString(), "http://localhost:8080/default/medtech/devices");
  EXPECT_EQ(call("PUT", c, R"({"properties": {}})").status, 200);

  const std::string d = c + "/fhirdestinations/out";
  Response dest = call("PUT", d, R"({"properties": {"resourceIdentityResolutionType": "Lookup", "fhirServiceResourceId": "default"}})");
  ASSERT_EQ(dest.status, 201) << dest.body;
  EXPECT_EQ(call("GET", d).status, 200);
  EXPECT_EQ(parse_body(call("GET", c))["properties"]["fhirDestinations"][0], "out");
  Response unknown = call("PUT", d, R"({"properties": {"fhirServiceResourceId": "nosuch"}})");
  EXPECT_EQ(unknown.status, 400);
  EXPECT_NE(diagnostics(unknown).find("nosuch"), std::string::npos);
  Response bad = call("PUT", c, R"({"properties": {"deviceMapping": {"content": {"templateType": "CollectionContent", "template": [{"templateType": "Nope"}]}}}})");
  EXPECT_EQ(bad.status, 400);
  EXPECT_NE(diagnostics(bad).find("line "), std::string::npos) << diagnostics(bad);

  // Kept across a restart.
  start(default_config());
  EXPECT_EQ(parse_body(call("GET", c))["properties"]["queueLimit"].GetUint64(), 100000u);
  EXPECT_EQ(call("GET", d).status, 200);
  EXPECT_EQ(call("DELETE", d).status, 200);
  EXPECT_EQ(call("GET", d).status, 404);
  EXPECT_EQ(call("DELETE", c).status, 200);
  EXPECT_EQ(call("GET", c).status, 404);
  EXPECT_EQ(call("GET", "/management/workspaces/nowhere/iotconnectors/devices").status, 404);
}

TEST_F(ManagementApiTest, WrongMethodIs405WithAllow) {
  Response r = call("POST", "/management/workspaces/default");
  EXPECT_EQ(r.status, 405);
  EXPECT_EQ(r.headers.get("Allow").value_or(""), "GET, PUT, DELETE");
  Response list = call("DELETE", "/management/workspaces");
  EXPECT_EQ(list.status, 405);
  EXPECT_EQ(list.headers.get("Allow").value_or(""), "GET");
  EXPECT_EQ(call("PATCH", "/management/workspaces/default/fhirservices/default").status, 405);
  EXPECT_EQ(call("POST", "/management/workspaces/default/fhirservices").status, 405);
}

TEST_F(ManagementApiTest, UnknownManagementPathIs404) {
  EXPECT_EQ(call("GET", "/management").status, 404);
  EXPECT_EQ(call("GET", "/management/things").status, 404);
  EXPECT_EQ(call("GET", "/management/workspaces/default/fhirservices/default/extra").status, 404);
}

}  // namespace
}  // namespace healthd::workspace::test
