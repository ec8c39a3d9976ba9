#include "dicom/service.h"

#include <spdlog/spdlog.h>

#include "dicom/reindexer.h"
#include "dicom/service_impl.h"
#include "dicom/value_rules.h"

namespace healthd::dicom {

DicomService::DicomService(std::string name, DicomSettings settings, std::shared_ptr<Store> store)
    : impl_(std::make_unique<Impl>()) {
  impl_->name = std::move(name);
  impl_->settings = std::move(settings);
  impl_->store = std::move(store);
  if (impl_->store) impl_->reindexer = std::make_unique<Reindexer>(impl_->name, impl_->store);
}

DicomService::~DicomService() = default;

DicomService::Impl::~Impl() = default;  // Reindexer is complete here

const DicomSettings& DicomService::settings() const { return impl_->settings; }

std::string DicomService::upload_dir() const { return impl_->store ? impl_->store->temp_dir() : std::string(); }

void DicomService::close() {
  if (impl_->reindexer) impl_->reindexer->stop();
  if (impl_->store) impl_->store->close();
}

DicomService::Impl::TagList DicomService::Impl::current_tags() {
  const int64_t version = store->tags_version();
  std::lock_guard lock(tags_mu);
  if (tags_cache.version != version) {
    tags_cache.tags = store->extended_query_tags();
    tags_cache.version = version;  // read before the list: a change meanwhile reloads next time
  }
  return tags_cache;
}

bool DicomService::Impl::claim_instance(const std::string& sop_uid) {
  std::lock_guard lock(in_flight_mu);
  return in_flight.insert(sop_uid).second;
}

void DicomService::Impl::release_instance(const std::string& sop_uid) {
  std::lock_guard lock(in_flight_mu);
  in_flight.erase(sop_uid);
}

namespace {

// The UIDs named by the path: studies/{study}/series/{series}/instances/{instance}.
bool read_scope(const std::vector<std::string>& seg, InstanceScope& scope, std::string* error) {
  for (size_t i = 1; i + 1 < seg.size(); ++i) {
    std::string* slot = seg[i] == "studies"     ? &scope.study_uid
                        : seg[i] == "series"    ? &scope.series_uid
                        : seg[i] == "instances" ? &scope.sop_uid
                                                : nullptr;
    if (!slot || !slot->empty()) continue;
    *slot = seg[i + 1];
    if (!is_valid_uid(*slot)) {
      *error = "'" + *slot + "' is not a valid UID (digits and dots, at most 64 characters)";
      return false;
    }
    ++i;
  }
  return true;
}

}  // namespace

Response DicomService::handle(Request& req) {
  Response r;
  DicomRouteMatch m = match_dicom_route(req);
  if (!m.versioned) {
    r = problem(404, "DICOMweb routes carry a version prefix: use " + req.base_url + "/v2/... (or /v1/...)");
    r.route = "dicom.notfound";
  } else if (!m.route && !m.allowed.empty()) {
    r = problem(405, "Method " + req.method + " is not allowed here (allowed: " + m.allowed + ")");
    r.headers.set("Allow", m.allowed);
    r.route = "dicom.notallowed";
  } else if (!m.route) {
    r = problem(404, "No DICOMweb resource at " + req.path);
    r.route = "dicom.notfound";
  } else {
    Target t;
    t.version = req.segments[0] == "v1" ? ApiVersion::kV1 : ApiVersion::kV2;
    t.base = req.base_url + "/" + req.segments[0];
    std::string error;
    const bool bulk = m.route->handler == Handler::Bulkdata;
    // A bulkdata path is not a UID: read the scope from the segments before it.
    std::vector<std::string> seg = req.segments;
    if (bulk) seg.resize(8);
    if (!read_scope(seg, t.scope, &error)) {
      r = problem(400, error);
    } else {
      try {
        switch (m.route->handler) {
          case Handler::Store: r = impl_->stow(req, t); break;
          case Handler::Search: r = impl_->search(req, t); break;
          case Handler::Retrieve: r = impl_->retrieve(req, t); break;
          case Handler::Metadata: r = impl_->metadata(req, t); break;
          case Handler::Frames: r = impl_->frames(req, t); break;
          case Handler::Bulkdata: r = impl_->bulkdata(req, t); break;
          case Handler::Rendered: r = impl_->rendered(req, t); break;
          case Handler::Delete: r = impl_->remove(req, t); break;
          case Handler::ChangeFeed: r = impl_->change_feed(req, t); break;
          case Handler::ChangeFeedLatest: r = impl_->change_feed_latest(req, t); break;
          case Handler::ExtendedQueryTags: r = impl_->extended_query_tags(req, t); break;
          case Handler::Operation: r = impl_->operation(req, t); break;
        }
      } catch (const std::exception& e) {
        spdlog::error("DICOM service {}: {} {} failed: {}", impl_->name, req.method, req.path, e.what());
        r = problem(500, std::string("Internal error: ") + e.what());
      }
    }
    r.route = m.route->name;
  }
  r.headers.set("api-supported-versions", "1.0, 2.0");
  return r;
}

}  // namespace healthd::dicom
