// How FHIR resources and errors go on the wire: formats, Prefer, ETag, Last-Modified.
#include <cstdlib>

#include "common/time.h"
#include "fhir/service_impl.h"
#include "json/json.h"

namespace healthd::fhir {

namespace {

constexpr const char* kFhirJson = "application/fhir+json; charset=utf-8";

bool mentions_xml(std::string_view v) {
  return v.find("xml") != std::string_view::npos;
}

bool is_json_media(std::string_view v) {
  return v.find("json") != std::string_view::npos || v.find("*/*") != std::string_view::npos ||
         v.find("application/*") != std::string_view::npos;
}

}  // namespace

std::optional<Response> check_accept(const Request& req) {
  if (auto f = req.param("_format")) {
    std::string_view v = *f;
    if (v == "json" || v == "application/json" || v == "application/fhir+json" || v.find("json") != std::string_view::npos)
      return std::nullopt;
    if (v == "xml" || mentions_xml(v) || v == "html" || v == "text/html" || v == "ttl" || v == "text/turtle")
      return error(406, "not-supported", "Only JSON is supported (_format=" + std::string(v) + " asked for)");
    return error(406, "not-supported", "Unknown _format '" + std::string(v) + "'; only json is supported");
  }
  if (auto a = req.headers.get("Accept")) {
    if (!a->empty() && !is_json_media(*a) && mentions_xml(*a))
      return error(406, "not-supported", "Only application/fhir+json is supported (Accept: " + std::string(*a) + ")");
  }
  return std::nullopt;
}

std::optional<Response> check_content_type(const Request& req) {
  auto ct = req.headers.get("Content-Type");
  if (!ct || ct->empty()) return std::nullopt;  // lenient: a body without a type is read as JSON
  std::string_view v = *ct;
  if (v.find("json") != std::string_view::npos) return std::nullopt;
  return error(415, "not-supported",
               "Unsupported Content-Type '" + std::string(v) + "'; send application/fhir+json");
}

ReturnPref return_preference(const Request& req) {
  auto p = req.headers.get("Prefer");
  if (!p) return ReturnPref::Representation;
  std::string_view v = *p;
  if (v.find("return=minimal") != std::string_view::npos) return ReturnPref::Minimal;
  if (v.find("return=OperationOutcome") != std::string_view::npos) return ReturnPref::OperationOutcome;
  return ReturnPref::Representation;
}

void set_json_body(const Request& req, Response& resp, std::string body) {
  auto pretty = req.param("_pretty");
  resp.body = (pretty && *pretty == "true") ? json::pretty(body) : std::move(body);
  resp.headers.set("Content-Type", kFhirJson);
}

std::string etag_for(int64_t version) { return "W/\"" + std::to_string(version) + "\""; }

std::optional<int64_t> parse_etag(std::string_view v) {
  while (!v.empty() && v.front() == ' ') v.remove_prefix(1);
  while (!v.empty() && v.back() == ' ') v.remove_suffix(1);
  if (v.starts_with("W/")) v.remove_prefix(2);
  if (v.size() >= 2 && v.front() == '"' && v.back() == '"') v = v.substr(1, v.size() - 2);
  if (v.empty() || v.size() > 18) return std::nullopt;
  int64_t n = 0;
  for (char c : v) {
    if (c < '0' || c > '9') return std::nullopt;
    n = n * 10 + (c - '0');
  }
  return n;
}

Response resource_response(const Request& req, int status, const StoredVersion& v, bool with_location,
                           ReturnPref pref) {
  Response r;
  r.status = status;
  r.headers.set("ETag", etag_for(v.version));
  r.headers.set("Last-Modified", format_http_date(v.last_updated_us));
  if (with_location)
    r.headers.set("Location", req.base_url + "/" + v.type + "/" + v.id + "/_history/" + std::to_string(v.version));
  switch (pref) {
    case ReturnPref::Representation:
      set_json_body(req, r, v.json);
      break;
    case ReturnPref::Minimal:
      break;
    case ReturnPref::OperationOutcome: {
      Issue is;
      is.severity = "information";
      is.code = "informational";
      is.diagnostics = v.type + "/" + v.id + " version " + std::to_string(v.version) + " stored";
      set_json_body(req, r, operation_outcome_json({is}));
      break;
    }
  }
  return r;
}

Response conflict_exhausted(const std::string& type, const std::string& id) {
  return error(409, "conflict", "Too many concurrent updates of " + type + "/" + id + "; retry the request");
}

Response store_failure(const CommitResult& r) {
  if (r.status == CommitResult::Status::Invalid) return error(400, "invalid", r.message);
  return error(500, "exception", "The store could not commit the write: " + r.message);
}

IfMatch read_if_match(const Request& req) {
  IfMatch m;
  auto h = req.headers.get("If-Match");
  if (!h) return m;
  m.version = parse_etag(*h);
  if (!m.version) m.bad = error(400, "invalid", "If-Match must be a version ETag such as W/\"1\"");
  return m;
}

int64_t next_last_updated(const std::optional<StoredVersion>& current) {
  int64_t ts = now_us();
  if (current && ts <= current->last_updated_us) ts = current->last_updated_us + 1;
  return ts;
}

WriteOp write_op_for(const StoredVersion& v, WriteOp::Kind kind, bool keep_history) {
  WriteOp op;
  op.kind = kind;
  op.type = v.type;
  op.id = v.id;
  op.version = v.version;
  op.last_updated_us = v.last_updated_us;
  op.json = v.json;
  op.keep_history = keep_history;
  return op;
}

bool has_errors(const std::vector<Issue>& issues) {
  for (const auto& is : issues)
    if (is.severity == "error" || is.severity == "fatal") return true;
  return false;
}

Response error(int status, const char* code, std::string diagnostics, std::string expression) {
  return outcome_response(status, code, std::move(diagnostics), std::move(expression));
}

}  // namespace healthd::fhir
