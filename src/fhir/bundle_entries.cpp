#include "fhir/bundle_entries.h"

#include <initializer_list>
#include <utility>

#include "auth/jwt.h"
#include "common/principal.h"
#include "common/time.h"
#include "fhir/routes.h"
#include "auth/roles.h"

namespace healthd::fhir {

namespace {

Response bad_entry(size_t index, std::string why, const std::string& element = {}) {
  std::string path = entry_path(index);
  return outcome_response(400, "invalid", path + ": " + why, element.empty() ? path : path + "." + element);
}

// Standard base64 (Binary.data) through the base64url decoder; whitespace is ignored.
std::optional<std::string> base64_decode(std::string_view text) {
  std::string url;
  url.reserve(text.size());
  for (char c : text) {
    if (c == '+') c = '-';
    else if (c == '/') c = '_';
    else if (c == ' ' || c == '\n' || c == '\r' || c == '\t') continue;
    url += c;
  }
  return auth::base64url_decode(url);
}

}  // namespace

std::string entry_path(size_t index) { return "Bundle.entry[" + std::to_string(index) + "]"; }

std::optional<Response> read_entry(json::Value& entry, size_t index, const std::string& base_url, BundleEntry& out) {
  out.index = index;
  if (!entry.IsObject()) return bad_entry(index, "an entry must be an object");
  auto request = entry.FindMember("request");
  if (request == entry.MemberEnd() || !request->value.IsObject())
    return bad_entry(index, "the entry has no request (method and url)", "request");
  const json::Value& rq = request->value;
  auto method = json::get_string(rq, "method");
  if (!method) return bad_entry(index, "request.method is required", "request.method");
  out.method = *method;
  if (out.method != "GET" && out.method != "HEAD" && out.method != "POST" && out.method != "PUT" &&
      out.method != "PATCH" && out.method != "DELETE")
    return bad_entry(index, "request.method '" + out.method + "' is not GET, HEAD, POST, PUT, PATCH or DELETE",
                     "request.method");
  auto url = json::get_string(rq, "url");
  if (!url || url->empty()) return bad_entry(index, "request.url is required", "request.url");
  out.url = *url;

  std::string_view u = *url;
  if (u.starts_with("http://") || u.starts_with("https://")) {
    // An absolute URL must name this service.
    if (!u.starts_with(base_url) || (u.size() > base_url.size() && u[base_url.size()] != '/' && u[base_url.size()] != '?'))
      return bad_entry(index, "request.url '" + std::string(u) + "' is not on this server (" + base_url + ")",
                       "request.url");
    u.remove_prefix(base_url.size());
  }
  size_t q = u.find('?');
  std::string_view path = u.substr(0, q);
  out.has_query = q != std::string_view::npos;
  if (out.has_query) out.query = parse_query(u.substr(q + 1));
  out.segments = split_path(percent_decode(path));
  if (out.segments.empty() && out.method != "GET" && out.method != "HEAD")
    return bad_entry(index, "request.url '" + out.url + "' names no resource type", "request.url");

  if (auto full = json::get_string(entry, "fullUrl")) out.full_url = *full;
  auto res = entry.FindMember("resource");
  if (res != entry.MemberEnd()) {
    if (!res->value.IsObject()) return bad_entry(index, "entry.resource must be a resource object", "resource");
    out.resource = &res->value;
  }
  const bool needs_resource = out.method == "POST" || out.method == "PUT" || out.method == "PATCH";
  if (needs_resource && !out.resource)
    return bad_entry(index, "a " + out.method + " entry needs a resource", "resource");

  for (auto [field, header] : {std::pair{"ifMatch", "If-Match"}, std::pair{"ifNoneMatch", "If-None-Match"},
                               std::pair{"ifModifiedSince", "If-Modified-Since"},
                               std::pair{"ifNoneExist", "If-None-Exist"}}) {
    auto it = rq.FindMember(field);
    if (it == rq.MemberEnd()) continue;
    if (!it->value.IsString()) return bad_entry(index, std::string("request.") + field + " must be a string", std::string("request.") + field);
    std::string value(it->value.GetString(), it->value.GetStringLength());
    if (std::string_view(field) == "ifModifiedSince") {
      // An instant in the Bundle, an HTTP date on the wire.
      auto range = parse_fhir_datetime_range(value);
      if (!range) return bad_entry(index, "request.ifModifiedSince is not an instant", "request.ifModifiedSince");
      value = format_http_date(range->start_us);
    }
    out.headers.set(header, std::move(value));
  }
  return std::nullopt;
}

Request entry_request(const Request& outer, const BundleEntry& e) {
  Request r;
  r.method = e.method;
  r.segments = e.segments;
  for (const auto& s : e.segments) r.path += "/" + s;
  r.query = e.query;
  r.headers = e.headers;
  if (auto prefer = outer.headers.get("Prefer")) r.headers.set("Prefer", std::string(*prefer));
  r.request_id = outer.request_id;
  r.origin = outer.origin;
  r.client_ip = outer.client_ip;
  r.principal = outer.principal;
  r.base_url = outer.base_url;
  return r;
}

std::optional<Response> entry_body(const BundleEntry& e, Request& r) {
  if (!e.resource) return std::nullopt;
  const json::Value& res = *e.resource;
  if (e.method == "PATCH") {
    auto rt = json::get_string(res, "resourceType");
    if (rt && *rt == "Binary") {
      // JSON Patch travels as a Binary: contentType application/json-patch+json, data base64.
      auto ct = json::get_string(res, "contentType");
      auto data = json::get_string(res, "data");
      if (!ct || !data)
        return bad_entry(e.index, "a PATCH Binary needs contentType and data", "resource");
      auto decoded = base64_decode(*data);
      if (!decoded) return bad_entry(e.index, "the PATCH Binary's data is not base64", "resource.data");
      r.body = std::move(*decoded);
      r.headers.set("Content-Type", std::string(*ct));
      return std::nullopt;
    }
    if (!rt || *rt != "Parameters")
      return bad_entry(e.index, "a PATCH entry carries a Binary (JSON Patch) or a Parameters (FHIRPath Patch)",
                       "resource");
  }
  r.body = json::to_string(res);
  r.headers.set("Content-Type", "application/fhir+json");
  return std::nullopt;
}

std::optional<Response> entry_permission(const Request& entry_req) {
  if (!entry_req.principal) return std::nullopt;  // in-process callers act with full rights
  RouteMatch m = match_fhir_route(entry_req);
  if (!m.route || auth::admits(*entry_req.principal, m.action)) return std::nullopt;
  return outcome_response(403, "forbidden", "The caller's roles do not grant the data action '" +
                                                auth::describe_actions(bit(m.action)) + "' this entry needs");
}

std::string status_line(int status) {
  const char* text = "";
  switch (status) {
    case 200: text = " OK"; break;
    case 201: text = " Created"; break;
    case 204: text = " No Content"; break;
    case 304: text = " Not Modified"; break;
    case 400: text = " Bad Request"; break;
    case 401: text = " Unauthorized"; break;
    case 403: text = " Forbidden"; break;
    case 404: text = " Not Found"; break;
    case 405: text = " Method Not Allowed"; break;
    case 409: text = " Conflict"; break;
    case 410: text = " Gone"; break;
    case 412: text = " Precondition Failed"; break;
    case 413: text = " Payload Too Large"; break;
    case 415: text = " Unsupported Media Type"; break;
    case 422: text = " Unprocessable Entity"; break;
    case 500: text = " Internal Server Error"; break;
    case 501: text = " Not Implemented"; break;
  }
  return std::to_string(status) + text;
}

void write_response_entry(bundle::Writer& w, const Response& r, bool with_resource) {
  using bundle::key;
  using bundle::string;
  const bool has_body = !r.body.empty() && r.headers.get("Content-Type").value_or("").find("json") != std::string_view::npos;
  w.StartObject();
  if (has_body && r.status < 300 && with_resource) {
    key(w, "resource");
    w.RawValue(r.body.data(), r.body.size(), rapidjson::kObjectType);
  }
  key(w, "response");
  w.StartObject();
  key(w, "status");
  string(w, status_line(r.status));
  if (auto loc = r.headers.get("Location")) {
    key(w, "location");
    string(w, *loc);
  }
  if (auto etag = r.headers.get("ETag")) {
    key(w, "etag");
    string(w, *etag);
  }
  if (auto lm = r.headers.get("Last-Modified"))
    if (auto us = parse_http_date(*lm)) {
      key(w, "lastModified");
      string(w, format_instant(*us));
    }
  if (has_body && r.status >= 300) {
    key(w, "outcome");
    w.RawValue(r.body.data(), r.body.size(), rapidjson::kObjectType);
  }
  w.EndObject();
  w.EndObject();
}

Response entry_failure(Response r, size_t index) {
  const std::string path = entry_path(index);
  json::Document oo;
  if (!r.body.empty() && json::parse(r.body, oo) && oo.IsObject()) {
    auto& a = oo.GetAllocator();
    auto issues = oo.FindMember("issue");
    if (issues != oo.MemberEnd() && issues->value.IsArray())
      for (auto& is : issues->value.GetArray()) {
        if (!is.IsObject()) continue;
        auto d = is.FindMember("diagnostics");
        std::string text = path + ": " + (d != is.MemberEnd() && d->value.IsString() ? d->value.GetString() : "failed");
        if (d != is.MemberEnd()) d->value.SetString(text.c_str(), static_cast<rapidjson::SizeType>(text.size()), a);
        else is.AddMember("diagnostics", json::str(text, a), a);
        auto ex = is.FindMember("expression");
        if (ex == is.MemberEnd()) {
          json::Value arr(rapidjson::kArrayType);
          arr.PushBack(json::str(path, a), a);
          is.AddMember("expression", arr, a);
        }
      }
    r.body = json::to_string(oo);
    return r;
  }
  Response out = outcome_response(r.status, "processing", path + ": failed with status " + std::to_string(r.status), path);
  return out;
}

}  // namespace healthd::fhir
