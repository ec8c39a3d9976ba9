// The DICOM route table: every route names a data action; versions and literals route right.
#include <gtest/gtest.h>

#include "dicom/routes.h"

namespace healthd::dicom {
namespace {

DicomRouteMatch route(const std::string& method, const std::string& path) {
  Request r;
  r.method = method;
  r.segments = split_path(path);
  return match_dicom_route(r);
}

TEST(dicomRoutes, EveryRouteNeedsADicomAction) {
  for (const auto& r : dicom_routes()) {
    EXPECT_TRUE(r.action == DataAction::DicomRead || r.action == DataAction::DicomWrite ||
                r.action == DataAction::DicomDelete)
        << r.name << " " << r.pattern;
  }
}

TEST(dicomRoutes, Matching) {
  EXPECT_FALSE(route("GET", "studies").versioned);
  EXPECT_EQ(route("GET", "v2/studies").route->handler, Handler::Search);
  EXPECT_EQ(route("POST", "v1/studies/1.2").route->handler, Handler::Store);
  EXPECT_EQ(route("GET", "v2/studies/1.2/series").route->handler, Handler::Search);
  EXPECT_EQ(route("GET", "v2/studies/1.2/series/3.4").route->handler, Handler::Retrieve);
  EXPECT_EQ(route("HEAD", "v2/studies/1.2/metadata").route->handler, Handler::Metadata);
  EXPECT_EQ(route("GET", "v2/studies/1/series/2/instances/3/frames/1,2").route->handler, Handler::Frames);
  EXPECT_EQ(route("GET", "v2/studies/1/series/2/instances/3/bulkdata/00540016/0/00181072").route->handler,
            Handler::Bulkdata);
  EXPECT_EQ(route("DELETE", "v2/studies/1/series/2").route->action, DataAction::DicomDelete);
  EXPECT_EQ(route("GET", "v2/changefeed/latest").route->handler, Handler::ChangeFeedLatest);
  auto m = route("PUT", "v2/studies");
  EXPECT_FALSE(m.route);
  EXPECT_EQ(m.allowed, "POST, GET");
  EXPECT_FALSE(route("GET", "v2/studies/series").route);  // a literal is not a UID
}

}  // namespace
}  // namespace healthd::dicom
