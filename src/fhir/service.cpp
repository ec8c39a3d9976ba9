// FhirService: routes a request below the service base to its interaction.
#include "fhir/service.h"

#include "common/ids.h"
#include "fhir/service_impl.h"

namespace healthd::fhir {

FhirService::FhirService(std::string name, ServiceSettings settings, std::shared_ptr<Store> store,
                         std::shared_ptr<const Definitions> definitions)
    : impl_(std::make_unique<Impl>(std::move(name), std::move(settings), std::move(store), std::move(definitions))) {}

FhirService::~FhirService() = default;

const ServiceSettings& FhirService::settings() const { return impl_->settings; }

void FhirService::close() { impl_->store->close(); }

Response FhirService::handle(Request& req) {
  Response r;
  if (auto bad = check_accept(req)) {
    r = std::move(*bad);
    r.route = "fhir.format";
    return r;
  }
  try {
    r = impl_->route(req);
  } catch (const std::exception& e) {
    r = error(500, "exception", std::string("Internal error: ") + e.what());
    r.route = "fhir.error";
  }
  return r;
}

namespace {

Response method_not_allowed(const std::string& method, const char* allowed, const std::string& what) {
  Response r = error(405, "not-supported", "Method " + method + " is not allowed on " + what);
  r.headers.set("Allow", allowed);
  return r;
}

Response labelled(Response r, const char* route) {
  r.route = route;
  return r;
}

}  // namespace

Response FhirService::Impl::route(Request& req) {
  const auto& seg = req.segments;
  const std::string& m = req.method;
  bool get = m == "GET" || m == "HEAD";

  if (seg.empty()) {
    if (m == "POST") return labelled(error(501, "not-supported", "Batch and transaction bundles are not supported yet"), "fhir.bundle");
    if (get) return labelled(error(501, "not-supported", "System-level search is not supported yet"), "fhir.search-system");
    return labelled(method_not_allowed(m, "POST", "the service base"), "fhir.base");
  }
  if (seg[0] == "metadata") {
    if (seg.size() == 1 && get) return labelled(capabilities(req), "fhir.metadata");
    if (seg.size() == 1) return labelled(method_not_allowed(m, "GET", "metadata"), "fhir.metadata");
  }
  if (seg[0] == "_history") {
    if (seg.size() == 1 && get) return labelled(history(req, "", ""), "fhir.history-system");
    if (seg.size() == 1) return labelled(method_not_allowed(m, "GET", "_history"), "fhir.history-system");
  }

  const std::string& type = seg[0];
  if (!definitions->is_resource_type(type))
    return labelled(error(404, "not-found", "Unknown resource type '" + type + "'"), "fhir.unknown");

  if (seg.size() == 1) {
    if (m == "POST") return labelled(create(req, type), "fhir.create");
    if (get) return labelled(error(501, "not-supported", "Search is not supported yet"), "fhir.search");
    if (m == "PUT" || m == "DELETE" || m == "PATCH")
      return labelled(error(501, "not-supported", "Conditional " + m + " is not supported yet"), "fhir.conditional");
    return labelled(method_not_allowed(m, "GET, POST", type), "fhir.type");
  }
  if (seg[1] == "_history" && seg.size() == 2) {
    if (get) return labelled(history(req, type, ""), "fhir.history-type");
    return labelled(method_not_allowed(m, "GET", type + "/_history"), "fhir.history-type");
  }
  if (seg[1] == "_search" && seg.size() == 2)
    return labelled(error(501, "not-supported", "Search is not supported yet"), "fhir.search");

  const std::string& id = seg[1];
  if (!is_valid_fhir_id(id))
    return labelled(error(400, "invalid", "'" + id + "' is not a valid resource id ([A-Za-z0-9-.]{1,64})"), "fhir.invalid-id");

  if (seg.size() == 2) {
    if (get) return labelled(read(req, type, id), "fhir.read");
    if (m == "PUT") return labelled(update(req, type, id), "fhir.update");
    if (m == "DELETE") return labelled(remove(req, type, id), "fhir.delete");
    if (m == "PATCH") return labelled(error(501, "not-supported", "PATCH is not supported yet"), "fhir.patch");
    return labelled(method_not_allowed(m, "GET, PUT, DELETE", type + "/" + id), "fhir.instance");
  }
  if (seg[2] == "_history") {
    if (seg.size() == 3) {
      if (get) return labelled(history(req, type, id), "fhir.history-instance");
      return labelled(method_not_allowed(m, "GET", "_history"), "fhir.history-instance");
    }
    if (seg.size() == 4) {
      if (get) return labelled(vread(req, type, id, seg[3]), "fhir.vread");
      return labelled(method_not_allowed(m, "GET", "a version"), "fhir.vread");
    }
  }
  if (seg[2].starts_with("$"))
    return labelled(error(501, "not-supported", "Operation " + seg[2] + " is not supported yet"), "fhir.operation");
  return labelled(error(404, "not-found", "No FHIR interaction at this path"), "fhir.unknown");
}

}  // namespace healthd::fhir
