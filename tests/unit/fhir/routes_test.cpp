#include "fhir/routes.h"

#include <gtest/gtest.h>

using namespace healthd;
using namespace healthd::fhir;

namespace {

Request request(std::string method, std::string path) {
  Request r;
  r.method = std::move(method);
  r.segments = split_path(path);
  r.path = path;
  return r;
}

}  // namespace

// Every route must say what permission it needs; only open routes may need none.
TEST(FhirRoutes, EveryRouteDeclaresADataAction) {
  for (const auto& r : fhir_routes()) {
    if (r.open) {
      EXPECT_EQ(r.action, DataAction::None) << r.name << " is open but declares an action";
    } else {
      EXPECT_NE(r.action, DataAction::None) << r.name << " " << r.method << " " << r.pattern << " declares no action";
    }
  }
}

TEST(FhirRoutes, OnlyMetadataAndSmartConfigurationAreOpen) {
  for (const auto& r : fhir_routes()) {
    bool should_be_open = std::string(r.pattern) == "metadata" || std::string(r.pattern) == ".well-known/smart-configuration";
    EXPECT_EQ(r.open, should_be_open) << r.name;
  }
}

TEST(FhirRoutes, MatchesInteractionsAndActions) {
  struct Case {
    const char* method;
    const char* path;
    const char* route;
    DataAction action;
  };
  const Case cases[] = {
      {"GET", "metadata", "fhir.metadata", DataAction::None},
      {"GET", ".well-known/smart-configuration", "fhir.smart-configuration", DataAction::None},
      {"POST", "Patient", "fhir.create", DataAction::Write},
      {"GET", "Patient/1", "fhir.read", DataAction::Read},
      {"HEAD", "Patient/1", "fhir.read", DataAction::Read},
      {"PUT", "Patient/1", "fhir.update", DataAction::Write},
      {"DELETE", "Patient/1", "fhir.delete", DataAction::Delete},
      {"GET", "Patient/1/_history", "fhir.history-instance", DataAction::Read},
      {"GET", "Patient/1/_history/2", "fhir.vread", DataAction::Read},
      {"GET", "Patient/_history", "fhir.history-type", DataAction::Read},
      {"GET", "_history", "fhir.history-system", DataAction::Read},
      {"GET", "Patient", "fhir.search", DataAction::Read},
      {"POST", "Patient/_search", "fhir.search", DataAction::Read},
      {"POST", "", "fhir.bundle", DataAction::Read},
      {"POST", "Patient/$validate", "fhir.validate", DataAction::ResourceValidate},
      {"POST", "Patient/1/$validate", "fhir.validate", DataAction::ResourceValidate},
      {"GET", "Patient/1/$validate", "fhir.validate", DataAction::ResourceValidate},
  };
  for (const auto& c : cases) {
    RouteMatch m = match_fhir_route(request(c.method, c.path));
    ASSERT_NE(m.route, nullptr) << c.method << " " << c.path;
    EXPECT_STREQ(m.route->name, c.route) << c.method << " " << c.path;
    EXPECT_EQ(m.action, c.action) << c.method << " " << c.path;
  }
}

TEST(FhirRoutes, HardDeleteNeedsItsOwnAction) {
  Request r = request("DELETE", "Patient/1");
  r.query = {{"hardDelete", "true"}};
  EXPECT_EQ(match_fhir_route(r).action, DataAction::HardDelete);
}

TEST(FhirRoutes, WrongMethodListsTheAllowedOnes) {
  RouteMatch m = match_fhir_route(request("POST", "Patient/1"));
  EXPECT_EQ(m.route, nullptr);
  EXPECT_EQ(m.allowed, "GET, PUT, DELETE, PATCH");
  EXPECT_EQ(match_fhir_route(request("GET", "a/b/c/d/e")).route, nullptr);
  EXPECT_TRUE(match_fhir_route(request("GET", "a/b/c/d/e")).allowed.empty());
}

TEST(FhirRoutes, OperationsNeedTheirOwnAction) {
  struct Case {
    const char* method;
    const char* path;
    DataAction action;
  };
  const Case cases[] = {
      {"GET", "$export", DataAction::Export},
      {"GET", "Patient/$export", DataAction::Export},
      {"GET", "Group/1/$export", DataAction::Export},
      {"POST", "$reindex", DataAction::Reindex},
      {"POST", "$import", DataAction::Import},
      {"POST", "$convert-data", DataAction::ConvertData},
      {"POST", "Patient/1/$purge-history", DataAction::HardDelete},
      {"GET", "Patient/1/$everything", DataAction::Read},
  };
  // $validate has routes of its own (fhir.validate, in MatchesInteractionsAndActions).
  for (const auto& c : cases) {
    RouteMatch m = match_fhir_route(request(c.method, c.path));
    ASSERT_NE(m.route, nullptr) << c.method << " " << c.path;
    EXPECT_STREQ(m.route->name, "fhir.operation") << c.path;
    EXPECT_EQ(m.action, c.action) << c.method << " " << c.path;
  }
}
