#include "workspace/platform.h"

#include <spdlog/spdlog.h>

#include <exception>
#include <stdexcept>

#include <chrono>

#include "auth/roles.h"
#include "common/cors.h"
#include "common/metrics.h"
#include "common/outcome.h"
#include "dicom/routes.h"
#include "dicom/service.h"
#include "fhir/definitions.h"
#include "fhir/routes.h"
#include "fhir/service.h"
#include "search/search_parameters.h"
#include "search/terminology.h"
#include "json/json.h"
#include "medtech/connector.h"
#include "workspace/management_api.h"
#include "workspace/registry.h"
#include "workspace/server_identity.h"

namespace healthd::workspace {

namespace {

// STOW-RS bodies up to this size are read into memory; larger ones go to a file.
constexpr uint64_t kDicomUploadMemoryBytes = 1 << 20;

Response labelled(Response r, std::string service, std::string route) {
  r.service = std::move(service);
  r.route = std::move(route);
  return r;
}

Response json_text(int status, std::string body) {
  Response r;
  r.status = status;
  r.headers.set("Content-Type", "application/json; charset=utf-8");
  r.body = std::move(body);
  return r;
}

Response not_found(std::string message) {
  return labelled(outcome_response(404, "not-found", std::move(message)), "-", "notfound");
}

Response get_only(const Request& req, const char* service, const char* route) {
  Response r = outcome_response(405, "not-supported", "Method " + req.method + " is not allowed on " + req.path +
                                                          " (allowed: GET)");
  r.headers.set("Allow", "GET");
  return labelled(r, service, route);
}

// Resource types named in versioning_by_type must exist in the definitions.
void check_resource_types(const PlatformConfig& config, const fhir::Definitions& definitions) {
  for (size_t w = 0; w < config.workspaces.size(); ++w)
    for (size_t s = 0; s < config.workspaces[w].services.size(); ++s)
      for (const auto& [type, v] : config.workspaces[w].services[s].fhir.versioning_by_type)
        if (!definitions.is_resource_type(type))
          throw std::runtime_error("config: workspaces[" + std::to_string(w) + "].services[" + std::to_string(s) +
                                   "].settings.versioning_by_type." + type + ": not a FHIR R4 resource type");
}

const char* kGaugeWorkspaces = "healthd_workspaces";
const char* kGaugeFhirServices = "healthd_fhir_services";

}  // namespace

Platform::Platform(PlatformConfig config, std::shared_ptr<const fhir::Definitions> definitions, HttpGet http_get)
    : config_(std::move(config)), definitions_(std::move(definitions)), http_get_(std::move(http_get)) {}

Platform::~Platform() { close(); }

void Platform::open(const std::string& public_url) {
  if (!definitions_) definitions_ = fhir::Definitions::load(config_.definitions_dir);
  check_resource_types(config_, *definitions_);
  public_url_ = public_url.empty() ? config_.public_url(config_.server.port) : public_url;
  while (public_url_.ends_with("/")) public_url_.pop_back();
  security_ = std::make_unique<Security>(config_, public_url_, http_get_, [this] { return audiences(); });
  ServiceWiring wiring;
  wiring.compartment = security_->compartment();
  wiring.smart_configuration_json = security_->smart_configuration(public_url_);
  wiring.search_params = search::SearchParameterRegistry::load(config_.definitions_dir);
  // Files read on first use.
  wiring.terminology = search::Terminology::open(config_.definitions_dir, config_.search.max_value_set_codes);
  registry_ = std::make_unique<Registry>(config_.data_dir, config_.store, definitions_, wiring);
  registry_->open(config_.workspaces);
  write_server_identity(config_.data_dir, ServerIdentity{public_url_, security_->issuer()});
  management_ = std::make_unique<ManagementApi>(*registry_, definitions_);
  Registry* reg = registry_.get();
  metrics::gauge(kGaugeWorkspaces, "Workspaces hosted", {}, [reg] { return double(reg->workspaces().size()); });
  metrics::gauge(kGaugeFhirServices, "FHIR services hosted", {}, [reg] {
    double n = 0;
    for (const auto& w : reg->workspaces()) n += double(w.fhir_services.size());
    return n;
  });
  open_ = true;
  if (!registry_->ready()) spdlog::warn("some services failed to open; /health/ready answers 503");
}

void Platform::close() {
  if (!open_.exchange(false)) return;
  metrics::remove_gauge(kGaugeWorkspaces, {});
  metrics::remove_gauge(kGaugeFhirServices, {});
  registry_->close();
}

bool Platform::ready() const { return open_ && registry_->ready(); }

std::optional<Response> Platform::fast(Request& req) {
  if (req.method == "GET" && req.path == "/health")
    return labelled(json_text(200, R"({"status":"ok"})"), "health", "health");
  return std::nullopt;
}

Response Platform::handle(Request& req) {
  const auto start = std::chrono::steady_clock::now();
  const std::vector<std::string> segments = split_path(req.path);
  Response r;
  try {
    r = dispatch(req, segments);
  } catch (const std::exception& e) {
    spdlog::error("request {} {} failed: {}", req.method, req.path, e.what());
    r = labelled(outcome_response(500, "exception", std::string("Internal error: ") + e.what()), "-", "error");
  }
  // Every request the platform answers is audited, 401s included (not the /health liveness probe
  // answered on the I/O thread).
  if (security_) {
    std::string resource_type;
    if (segments.size() > 3 && segments[1] == "fhir" && definitions_ && definitions_->is_resource_type(segments[3]))
      resource_type = segments[3];
    double ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    try {
      security_->audit(req, r, ms, resource_type);
    } catch (const std::exception& e) {
      spdlog::error("audit log write failed: {}", e.what());
    }
  }
  return r;
}

std::vector<std::string> Platform::audiences() const {
  std::vector<std::string> out{management_audience(public_url_)};
  if (!registry_) return out;
  for (const auto& w : registry_->workspaces())
    for (const auto& s : registry_->fhir_services(w.name).value_or(std::vector<FhirServiceInfo>{}))
      out.push_back(fhir_audience(public_url_, w.name, s.name, s.settings));
  for (const auto& w : registry_->workspaces())
    for (const auto& s : registry_->dicom_services(w.name).value_or(std::vector<DicomServiceInfo>{}))
      out.push_back(dicom_audience(public_url_, w.name, s.name, s.settings));
  for (const auto& w : registry_->workspaces())
    for (const auto& c : w.iot_connectors) out.push_back(medtech_base_url(public_url_, w.name, c));
  return out;
}

std::optional<Response> Platform::authorize(Request& req, const std::string& audience, DataAction action) {
  Security::Authentication a = security_->authenticate(req, audience);
  if (a.denied) return std::move(*a.denied);
  req.principal = a.principal;
  if (auth::admits(*a.principal, action)) return std::nullopt;
  return security_->forbidden(req, "The caller's roles do not grant the data action '" +
                                       auth::describe_actions(bit(action)) + "' this request needs");
}

Response Platform::dispatch(Request& req, const std::vector<std::string>& seg) {
  if (seg.size() == 1 && seg[0] == "health") {
    if (auto r = fast(req)) return *r;
    return get_only(req, "health", "health");
  }
  if (seg.size() == 2 && seg[0] == "health" && seg[1] == "ready")
    return req.method == "GET" ? health_ready() : get_only(req, "health", "health.ready");
  if (!open_) return labelled(outcome_response(503, "transient", "The server is not open"), "-", "unavailable");
  if (seg.size() == 1 && seg[0] == "metrics") {
    if (req.method != "GET") return get_only(req, "metrics", "metrics");
    if (!security_->metrics_open())
      if (auto denied = authorize(req, management_audience(public_url_), DataAction::Administer))
        return labelled(std::move(*denied), "metrics", "metrics");
    Response r;
    r.headers.set("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
    r.body = metrics::render_prometheus();
    return labelled(r, "metrics", "metrics");
  }
  if (!seg.empty() && (seg[0] == ".well-known" || seg[0] == "oauth2")) {
    if (auto r = security_->handle_open(req, seg)) {
      if (r->route == "other") r->route = seg[0] == "oauth2" ? "oauth2.token" : "well-known";
      if (r->service == "-") r->service = "oauth2";
      return std::move(*r);
    }
    return not_found("No resource at " + req.path);
  }
  if (!seg.empty() && seg[0] == "management") return management(req, seg);
  if (seg.size() >= 2 && seg[1] == "fhir") return fhir(req, seg);
  if (seg.size() >= 2 && seg[1] == "dicom") return dicom(req, seg);
  if (seg.size() >= 2 && seg[1] == "medtech") return medtech(req, seg);
  return not_found("No resource at " + req.path + " (FHIR services are at /{workspace}/fhir/{service})");
}

Response Platform::management(Request& req, const std::vector<std::string>& seg) {
  if (auto denied = authorize(req, management_audience(public_url_), DataAction::Administer))
    return labelled(std::move(*denied), "management", "management.auth");
  if (seg.size() >= 2 && seg[1] == "clients") {
    Response r = security_->clients_api(req, std::vector<std::string>(seg.begin() + 2, seg.end()));
    if (r.service == "-") r.service = "management";
    return r;
  }
  return management_->handle(req, seg);
}

Response Platform::health_ready() {
  if (ready()) return labelled(json_text(200, R"({"status":"ready"})"), "health", "health.ready");
  json::Document doc(rapidjson::kObjectType);
  auto& a = doc.GetAllocator();
  doc.AddMember("status", "unavailable", a);
  json::Value failed(rapidjson::kArrayType);
  if (open_)
    for (const auto& w : registry_->workspaces())
      for (const auto& s : registry_->fhir_services(w.name).value_or(std::vector<FhirServiceInfo>{}))
        if (!s.opened) failed.PushBack(json::str(w.name + "/fhir/" + s.name + ": " + s.error, a), a);
  if (open_)
    for (const auto& w : registry_->workspaces())
      for (const auto& s : registry_->dicom_services(w.name).value_or(std::vector<DicomServiceInfo>{}))
        if (!s.opened) failed.PushBack(json::str(w.name + "/dicom/" + s.name + ": " + s.error, a), a);
  if (open_)
    for (const auto& w : registry_->workspaces())
      for (const auto& c : registry_->iot_connectors(w.name).value_or(std::vector<IotConnectorInfo>{}))
        if (!c.opened) failed.PushBack(json::str(w.name + "/medtech/" + c.name + ": " + c.error, a), a);
  doc.AddMember("failed", failed, a);
  Response r = json_text(503, json::to_string(doc));
  r.headers.set("Retry-After", "5");
  return labelled(r, "health", "health.ready");
}

Response Platform::fhir(Request& req, const std::vector<std::string>& seg) {
  const std::string& ws = seg[0];
  if (seg.size() < 3) return not_found("No FHIR service named in the path: use /" + ws + "/fhir/{service}");
  const std::string& name = seg[2];
  FhirLookup found = registry_->fhir_service(ws, name);
  if (!found.workspace_found) return not_found("Workspace '" + ws + "' not found");
  if (!found.service_found) return not_found("FHIR service '" + name + "' not found in workspace '" + ws + "'");
  const std::string label = ws + "/fhir/" + name;
  if (!found.service)
    return labelled(outcome_response(503, "transient", "FHIR service '" + label + "' is unavailable: " + found.error),
                    label, "unavailable");
  req.base_url = req.origin + "/" + ws + "/fhir/" + name;
  req.segments.assign(seg.begin() + 3, seg.end());
  const fhir::ServiceSettings& settings = found.service->settings();
  // CORS preflights carry no token.
  if (req.method == "OPTIONS")
    if (auto pre = cors_preflight(settings.cors, req)) return labelled(std::move(*pre), label, "fhir.preflight");

  Response r;
  fhir::RouteMatch route = fhir::match_fhir_route(req);
  bool open_route = route.route && route.route->open;
  std::optional<Response> denied;
  if (!open_route) denied = authorize(req, fhir_audience(public_url_, ws, name, settings), route.action);
  if (denied) {
    r = std::move(*denied);
    r.route = route.route ? route.route->name : "fhir.auth";
  } else {
    r = found.service->handle(req);
  }
  cors_apply(settings.cors, req, r);
  r.service = label;
  return r;
}

std::optional<FileBodyRule> Platform::file_body_rule(std::string_view method, std::string_view path) {
  if (method != "POST") return std::nullopt;
  // /{ws}/dicom/{service}/v1|v2/studies[/{study}]
  const std::vector<std::string> seg = split_path(path);
  if (seg.size() < 5 || seg.size() > 6 || seg[1] != "dicom" || (seg[3] != "v1" && seg[3] != "v2") ||
      seg[4] != "studies")
    return std::nullopt;
  DicomLookup found = registry_->dicom_service(seg[0], seg[2]);
  if (!found.service) return std::nullopt;
  FileBodyRule rule;
  rule.dir = found.service->upload_dir();
  rule.max_bytes = found.service->settings().max_upload_bytes;
  rule.memory_max = kDicomUploadMemoryBytes;
  return rule;
}

Response Platform::dicom(Request& req, const std::vector<std::string>& seg) {
  const std::string& ws = seg[0];
  if (seg.size() < 3) return not_found("No DICOM service named in the path: use /" + ws + "/dicom/{service}/v2/...");
  const std::string& name = seg[2];
  DicomLookup found = registry_->dicom_service(ws, name);
  if (!found.workspace_found) return not_found("Workspace '" + ws + "' not found");
  if (!found.service_found) return not_found("DICOM service '" + name + "' not found in workspace '" + ws + "'");
  const std::string label = ws + "/dicom/" + name;
  if (!found.service)
    return labelled(outcome_response(503, "transient", "DICOM service '" + label + "' is unavailable: " + found.error),
                    label, "unavailable");
  req.base_url = req.origin + "/" + ws + "/dicom/" + name;
  req.segments.assign(seg.begin() + 3, seg.end());
  const dicom::DicomSettings& settings = found.service->settings();
  if (req.method == "OPTIONS")
    if (auto pre = cors_preflight(settings.cors, req)) return labelled(std::move(*pre), label, "dicom.preflight");

  Response r;
  dicom::DicomRouteMatch route = dicom::match_dicom_route(req);
  const DataAction action = route.route ? route.route->action : DataAction::None;
  if (auto denied = authorize(req, dicom_audience(public_url_, ws, name, settings), action)) {
    r = std::move(*denied);
    r.route = route.route ? route.route->name : "dicom.auth";
  } else {
    r = found.service->handle(req);
  }
  cors_apply(settings.cors, req, r);
  r.service = label;
  return r;
}

// /{ws}/medtech/{name}/...: every route needs a bearer token for the connector's base URL and
// the FHIR write action (ingest, dead letters, replay and $debug alike).
Response Platform::medtech(Request& req, const std::vector<std::string>& seg) {
  const std::string& ws = seg[0];
  if (seg.size() < 3) return not_found("No MedTech service named in the path: use /" + ws + "/medtech/{name}");
  const std::string& name = seg[2];
  IotLookup found = registry_->iot_connector(ws, name);
  if (!found.workspace_found) return not_found("Workspace '" + ws + "' not found");
  if (!found.connector_found) return not_found("MedTech service '" + name + "' not found in workspace '" + ws + "'");
  const std::string label = ws + "/medtech/" + name;
  if (!found.connector)
    return labelled(outcome_response(503, "transient", "MedTech service '" + label + "' is unavailable: " + found.error),
                    label, "unavailable");
  req.base_url = req.origin + "/" + label;
  req.segments.assign(seg.begin() + 3, seg.end());
  if (auto denied = authorize(req, medtech_base_url(public_url_, ws, name), DataAction::Write))
    return labelled(std::move(*denied), label, "medtech.auth");
  Response r = found.connector->handle(req);
  r.service = label;
  return r;
}

}  // namespace healthd::workspace
