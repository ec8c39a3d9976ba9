#include "medtech/fhir_client.h"

#include <algorithm>

namespace healthd::medtech {

namespace {

Request internal(const std::string& method, std::vector<std::string> segments) {
  Request r;
  r.method = method;
  r.segments = std::move(segments);
  for (const auto& s : r.segments) r.path += "/" + s;
  r.request_id = "medtech";
  r.headers.set("Accept", "application/fhir+json");
  return r;
}

}  // namespace

Response FhirClient::call(Request& req) {
  std::optional<Response> r = call_(service_, req);
  if (!r) throw TransientError("FHIR service '" + service_ + "' is not available");
  if ((r->status >= 500 && r->status != 501) || r->status == 429)
    throw TransientError("FHIR service '" + service_ + "' answered " + std::to_string(r->status) + " to " + req.method +
                         " " + req.path + ": " + r->body.substr(0, 300));
  return std::move(*r);
}

FhirClient::ReadResult FhirClient::read(const std::string& type, const std::string& id) {
  Request req = internal("GET", {type, id});
  Response r = call(req);
  ReadResult out;
  if (r.status == 404 || r.status == 410) return out;
  if (r.status != 200 || !json::parse(r.body, out.resource))
    throw TransientError("read " + type + "/" + id + " answered " + std::to_string(r.status));
  out.found = true;
  out.etag = std::string(r.headers.get("ETag").value_or(""));
  return out;
}

int FhirClient::put(const std::string& type, const std::string& id, const std::string& body,
                    const std::optional<std::string>& if_match, std::string* diagnostics) {
  Request req = internal("PUT", {type, id});
  req.headers.set("Content-Type", "application/fhir+json");
  req.headers.set("Prefer", "return=minimal");
  if (if_match) req.headers.set("If-Match", *if_match);
  req.body = body;
  Response r = call(req);
  if (diagnostics) *diagnostics = r.body.substr(0, 500);
  return r.status;
}

std::map<std::string, FhirClient::ReadResult> FhirClient::read_many(const std::string& type,
                                                                     const std::vector<std::string>& ids) {
  std::map<std::string, ReadResult> out;
  for (size_t from = 0; from < ids.size(); from += kIdsPerSearch) {
    std::string list;
    const size_t to = std::min(ids.size(), from + kIdsPerSearch);
    for (size_t i = from; i < to; ++i) list += (list.empty() ? "" : ",") + ids[i];
    Request req = internal("GET", {type});
    req.query.emplace_back("_id", list);
    req.query.emplace_back("_count", std::to_string(to - from));
    Response r = call(req);
    json::Document bundle;
    if (r.status != 200 || !json::parse(r.body, bundle))
      throw TransientError("search " + type + "?_id answered " + std::to_string(r.status));
    const json::Value* entries = json::get_member(bundle, "entry");
    if (!entries || !entries->IsArray()) continue;
    for (auto& e : entries->GetArray()) {
      const json::Value* res = json::get_member(e, "resource");
      auto id = res ? json::get_string(*res, "id") : std::nullopt;
      if (!id) continue;
      const json::Value* meta = json::get_member(*res, "meta");
      auto version = meta ? json::get_string(*meta, "versionId") : std::nullopt;
      ReadResult& found = out[std::string(*id)];
      found.found = true;
      if (version) found.etag = "W/\"" + std::string(*version) + "\"";
      found.resource.CopyFrom(*res, found.resource.GetAllocator());
    }
  }
  return out;
}

int FhirClient::transaction(std::string bundle, std::string* answer) {
  Request req = internal("POST", {});
  req.path = "/";
  req.headers.set("Content-Type", "application/fhir+json");
  req.body = std::move(bundle);
  Response r = call(req);
  if (answer) *answer = std::move(r.body);
  return r.status;
}

std::vector<json::Document> FhirClient::search_identifier(const std::string& type, const std::string& value) {
  Request req = internal("GET", {type});
  req.query.emplace_back("identifier", value);
  req.query.emplace_back("_count", "2");
  Response r = call(req);
  json::Document bundle;
  if (r.status != 200 || !json::parse(r.body, bundle))
    throw TransientError("search " + type + "?identifier answered " + std::to_string(r.status));
  std::vector<json::Document> out;
  if (const json::Value* entries = json::get_member(bundle, "entry"); entries && entries->IsArray())
    for (const auto& e : entries->GetArray())
      if (const json::Value* res = json::get_member(e, "resource")) {
        auto mode = json::get_member(e, "search") ? json::get_string(*json::get_member(e, "search"), "mode") : std::nullopt;
        if (mode && *mode != "match") continue;
        json::Document d;
        d.CopyFrom(*res, d.GetAllocator());
        out.push_back(std::move(d));
      }
  return out;
}

}  // namespace healthd::medtech
