// The top-level dispatcher: health, metrics, FHIR routing, 404s, persistence across restarts.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "fhir/service.h"
#include "test_support.h"
#include "workspace/registry.h"

namespace healthd::workspace::test {
namespace {

namespace fs = std::filesystem;

TEST_F(PlatformTest, HealthIsAnsweredOnTheFastPath) {
  Request health = make_request("GET", "/health");
  auto fast = platform->fast(health);
  ASSERT_TRUE(fast.has_value());
  EXPECT_EQ(fast->status, 200);
  EXPECT_EQ(fast->body, R"({"status":"ok"})");
  EXPECT_EQ(fast->service, "health");
  EXPECT_EQ(call("GET", "/health").status, 200);  // handle() answers it too

  Request other = make_request("GET", "/default/fhir/default/metadata");
  EXPECT_FALSE(platform->fast(other).has_value());
  Request post = make_request("POST", "/health");
  EXPECT_FALSE(platform->fast(post).has_value());
  EXPECT_EQ(call("POST", "/health").status, 405);
}

TEST_F(PlatformTest, ReadyOnceOpen) {
  EXPECT_TRUE(platform->ready());
  Response r = call("GET", "/health/ready");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.route, "health.ready");
  platform->close();
  EXPECT_FALSE(platform->ready());
  EXPECT_EQ(call("GET", "/health/ready").status, 503);
}

TEST_F(PlatformTest, MetricsInPrometheusText) {
  Response r = call("GET", "/metrics");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.headers.get("Content-Type").value_or("").substr(0, 25), "text/plain; version=0.0.4");
  EXPECT_NE(r.body.find("# TYPE healthd_workspaces gauge"), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("healthd_fhir_services 1"), std::string::npos) << r.body;
}

TEST_F(PlatformTest, RoutesToTheFhirService) {
  Request post = make_request("POST", "/default/fhir/default/Patient", R"({"resourceType":"Patient"})");
  post.headers.set("Content-Type", "application/fhir+json");
  Response made = handle_as_admin(post);
  ASSERT_EQ(made.status, 201) << made.body;
  EXPECT_EQ(post.base_url, "http://localhost:8080/default/fhir/default");
  ASSERT_EQ(post.segments.size(), 1u);
  EXPECT_EQ(post.segments[0], "Patient");
  EXPECT_EQ(made.service, "default/fhir/default");
  EXPECT_EQ(made.route, "fhir.create");
  EXPECT_EQ(made.headers.get("Location").value_or("").rfind("http://localhost:8080/default/fhir/default/Patient/", 0), 0u);

  Response meta = call("GET", "/default/fhir/default/metadata");
  EXPECT_EQ(meta.status, 200);
  EXPECT_EQ(meta.route, "fhir.metadata");
}

TEST_F(PlatformTest, UnknownWorkspaceServiceOrPathIs404) {
  Response ws = call("GET", "/nowhere/fhir/default/Patient");
  EXPECT_EQ(ws.status, 404);
  EXPECT_EQ(issue_code(ws), "not-found");
  EXPECT_NE(diagnostics(ws).find("Workspace 'nowhere'"), std::string::npos);

  Response svc = call("GET", "/default/fhir/other/Patient");
  EXPECT_EQ(svc.status, 404);
  EXPECT_NE(diagnostics(svc).find("FHIR service 'other'"), std::string::npos);

  Response dicom = call("GET", "/default/dicom/other/v2/studies");
  EXPECT_EQ(dicom.status, 404);
  EXPECT_NE(diagnostics(dicom).find("DICOM service 'other'"), std::string::npos);
  EXPECT_EQ(call("POST", "/default/medtech/default/ingest").status, 404);

  EXPECT_EQ(call("GET", "/").status, 404);
  EXPECT_EQ(call("GET", "/default").status, 404);
  EXPECT_EQ(call("GET", "/default/fhir").status, 404);
  Response other = call("GET", "/some/where/else");
  EXPECT_EQ(other.status, 404);
  EXPECT_EQ(other.service, "-");
}

TEST_F(PlatformTest, ManagementChangesSurviveARestart) {
  ASSERT_EQ(call("PUT", "/management/workspaces/research").status, 201);
  ASSERT_EQ(call("PUT", "/management/workspaces/research/fhirservices/cohort1",
                 R"({"properties": {"versioning": "no-version", "maxCount": 77}})")
                .status,
            201);
  ASSERT_EQ(call("PUT", "/management/workspaces/empty1").status, 201);
  Request post = make_request("POST", "/research/fhir/cohort1/Patient", R"({"resourceType":"Patient"})");
  Response made = handle_as_admin(post);
  ASSERT_EQ(made.status, 201) << made.body;
  std::string id = parse_body(made)["id"].GetString();
  EXPECT_TRUE(fs::exists(data_path("management.json")));
  EXPECT_TRUE(fs::exists(data_path("workspaces/research/fhirservices/cohort1/fhir.db")));

  start(default_config());  // a new Platform on the same data dir

  EXPECT_EQ(call("GET", "/management/workspaces/empty1").status, 200);
  Response svc = call("GET", "/management/workspaces/research/fhirservices/cohort1");
  ASSERT_EQ(svc.status, 200) << svc.body;
  EXPECT_STREQ(parse_body(svc)["properties"]["versioning"].GetString(), "no-version");
  EXPECT_EQ(parse_body(svc)["properties"]["maxCount"].GetInt(), 77);
  EXPECT_EQ(call("GET", "/research/fhir/cohort1/Patient/" + id).status, 200);
  EXPECT_EQ(parse_body(call("GET", "/management/workspaces"))["value"].Size(), 3u);
}

TEST_F(PlatformTest, ConfigWinsForTheServicesItDeclares) {
  ASSERT_EQ(call("PUT", "/management/workspaces/default/fhirservices/default", R"({"properties": {"maxCount": 33}})")
                .status,
            200);
  PlatformConfig config = parse_config(R"(
workspaces:
  - name: default
    services:
      - kind: fhir
        name: default
        settings: { max_count: 444 }
)");
  start(config);
  Response svc = call("GET", "/management/workspaces/default/fhirservices/default");
  EXPECT_EQ(parse_body(svc)["properties"]["maxCount"].GetInt(), 444);
}

TEST_F(PlatformTest, AServiceThatCannotOpenMakesTheServerNotReady) {
  platform->close();
  platform.reset();
  // A directory where the database file should be: the store cannot open it.
  fs::remove_all(data_path("workspaces/default/fhirservices/default"));
  fs::create_directories(data_path("workspaces/default/fhirservices/default/fhir.db"));
  start(default_config());
  EXPECT_FALSE(platform->ready());
  Response ready = call("GET", "/health/ready");
  EXPECT_EQ(ready.status, 503);
  EXPECT_NE(ready.body.find("default/fhir/default"), std::string::npos) << ready.body;
  EXPECT_EQ(call("GET", "/default/fhir/default/metadata").status, 503);
  EXPECT_STREQ(parse_body(call("GET", "/management/workspaces/default/fhirservices/default"))["properties"]
                   ["provisioningState"]
                       .GetString(),
               "Failed");
}

TEST_F(PlatformTest, ConfigNamingAnUnknownResourceTypeFailsToOpen) {
  PlatformConfig config = parse_config(R"(
workspaces:
  - name: default
    services:
      - kind: fhir
        name: default
        settings: { versioning_by_type: { Patinet: no-version } }
)");
  config.data_dir = data.path();
  Platform bad(config, shared_definitions());
  try {
    bad.open();
    ADD_FAILURE() << "expected an error";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("versioning_by_type.Patinet"), std::string::npos) << e.what();
  }
}

TEST_F(PlatformTest, DeleteWaitsForRequestsStillUsingTheService) {
  FhirLookup held = platform->registry().fhir_service("default", "default");
  ASSERT_TRUE(held.service);
  std::atomic<bool> done{false};
  std::thread deleter([&] {
    platform->registry().delete_fhir_service("default", "default");
    done = true;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  EXPECT_FALSE(done);  // still waiting for us
  EXPECT_EQ(call("GET", "/default/fhir/default/metadata").status, 404);  // new requests: gone
  Request read = make_request("GET", "/Patient/nothing");
  read.segments = {"Patient", "nothing"};
  read.base_url = "http://localhost:8080/default/fhir/default";
  EXPECT_EQ(held.service->handle(read).status, 404);  // the held service still works
  held.service.reset();
  deleter.join();
  EXPECT_TRUE(done);
  EXPECT_FALSE(fs::exists(data_path("workspaces/default/fhirservices/default")));
}

}  // namespace
}  // namespace healthd::workspace::test
