#include "dicom/routes.h"

namespace healthd::dicom {

const std::vector<DicomRoute>& dicom_routes() {
  using A = DataAction;
  using H = Handler;
  static const std::vector<DicomRoute> routes = {
      {"dicom.stow", "POST", "studies", A::DicomWrite, H::Store},
      {"dicom.stow", "POST", "studies/{study}", A::DicomWrite, H::Store},
      {"dicom.qido", "GET", "studies", A::DicomRead, H::Search},
      {"dicom.qido", "GET", "series", A::DicomRead, H::Search},
      {"dicom.qido", "GET", "instances", A::DicomRead, H::Search},
      {"dicom.qido", "GET", "studies/{study}/series", A::DicomRead, H::Search},
      {"dicom.qido", "GET", "studies/{study}/instances", A::DicomRead, H::Search},
      {"dicom.qido", "GET", "studies/{study}/series/{series}/instances", A::DicomRead, H::Search},
      {"dicom.retrieve", "GET", "studies/{study}", A::DicomRead, H::Retrieve},
      {"dicom.retrieve", "GET", "studies/{study}/series/{series}", A::DicomRead, H::Retrieve},
      {"dicom.retrieve", "GET", "studies/{study}/series/{series}/instances/{instance}", A::DicomRead, H::Retrieve},
      {"dicom.metadata", "GET", "studies/{study}/metadata", A::DicomRead, H::Metadata},
      {"dicom.metadata", "GET", "studies/{study}/series/{series}/metadata", A::DicomRead, H::Metadata},
      {"dicom.metadata", "GET", "studies/{study}/series/{series}/instances/{instance}/metadata", A::DicomRead,
       H::Metadata},
      {"dicom.frames", "GET", "studies/{study}/series/{series}/instances/{instance}/frames/{frames}", A::DicomRead,
       H::Frames},
      {"dicom.bulkdata", "GET", "studies/{study}/series/{series}/instances/{instance}/bulkdata/{path*}",
       A::DicomRead, H::Bulkdata},
      {"dicom.rendered", "GET", "studies/{study}/series/{series}/instances/{instance}/rendered", A::DicomRead,
       H::Rendered},
      {"dicom.rendered", "GET", "studies/{study}/series/{series}/instances/{instance}/frames/{frames}/rendered",
       A::DicomRead, H::Rendered},
      {"dicom.delete", "DELETE", "studies/{study}", A::DicomDelete, H::Delete},
      {"dicom.delete", "DELETE", "studies/{study}/series/{series}", A::DicomDelete, H::Delete},
      {"dicom.delete", "DELETE", "studies/{study}/series/{series}/instances/{instance}", A::DicomDelete, H::Delete},
      {"dicom.changefeed", "GET", "changefeed", A::DicomRead, H::ChangeFeed},
      {"dicom.changefeed", "GET", "changefeed/latest", A::DicomRead, H::ChangeFeedLatest},
      // Managing extended query tags changes what the service indexes: DICOM Data Owner only.
      {"dicom.eqt.add", "POST", "extendedquerytags", A::DicomWrite, H::ExtendedQueryTags},
      {"dicom.eqt.list", "GET", "extendedquerytags", A::DicomRead, H::ExtendedQueryTags},
      {"dicom.eqt.get", "GET", "extendedquerytags/{tag}", A::DicomRead, H::ExtendedQueryTags},
      {"dicom.eqt.delete", "DELETE", "extendedquerytags/{tag}", A::DicomWrite, H::ExtendedQueryTags},
      {"dicom.eqt.update", "PATCH", "extendedquerytags/{tag}", A::DicomWrite, H::ExtendedQueryTags},
      {"dicom.eqt.errors", "GET", "extendedquerytags/{tag}/errors", A::DicomRead, H::ExtendedQueryTags},
      {"dicom.operation", "GET", "operations/{id}", A::DicomRead, H::Operation},
  };
  return routes;
}

namespace {

const std::vector<std::vector<std::string>>& split_patterns() {
  static const std::vector<std::vector<std::string>> parts = [] {
    std::vector<std::vector<std::string>> out;
    for (const auto& r : dicom_routes()) out.push_back(split_path(r.pattern));
    return out;
  }();
  return parts;
}

bool is_literal(const std::string& s) {
  return s == "studies" || s == "series" || s == "instances" || s == "metadata" || s == "frames" ||
         s == "bulkdata" || s == "rendered" || s == "changefeed" || s == "extendedquerytags" || s == "errors" ||
         s == "operations";
}

// seg[1..] against the pattern (seg[0] is the version).
bool matches(const std::vector<std::string>& parts, const std::vector<std::string>& seg) {
  const size_t n = seg.size() - 1;
  const bool rest = !parts.empty() && parts.back() == "{path*}";
  if (rest ? n < parts.size() : n != parts.size()) return false;
  for (size_t i = 0; i < parts.size(); ++i) {
    const std::string& p = parts[i];
    const std::string& s = seg[i + 1];
    if (p == "{path*}") return true;
    if (p.front() == '{') {
      if (is_literal(s) && p != "{frames}") return false;
      continue;
    }
    if (p != s) return false;
  }
  return true;
}

}  // namespace

DicomRouteMatch match_dicom_route(const Request& req) {
  DicomRouteMatch m;
  if (req.segments.empty() || (req.segments[0] != "v1" && req.segments[0] != "v2")) return m;
  m.versioned = true;
  const std::string_view method = req.method == "HEAD" ? std::string_view("GET") : std::string_view(req.method);
  const auto& routes = dicom_routes();
  const auto& patterns = split_patterns();
  for (size_t i = 0; i < routes.size(); ++i) {
    if (!matches(patterns[i], req.segments)) continue;
    if (method == routes[i].method) {
      m.route = &routes[i];
      return m;
    }
    if (m.allowed.find(routes[i].method) == std::string::npos)
      m.allowed += (m.allowed.empty() ? "" : ", ") + std::string(routes[i].method);
  }
  return m;
}

}  // namespace healthd::dicom
