// The HTTP routes of MedtechConnector (see connector.h).
#include <algorithm>
#include <charconv>

#include "common/outcome.h"
#include "common/time.h"
#include "medtech/connector.h"
#include "medtech/debug.h"
#include "medtech/identity.h"
#include "medtech/message_split.h"

namespace healthd::medtech {

namespace {

Response labelled(Response r, const char* route) {
  r.route = route;
  return r;
}

Response json_response(int status, const json::Value& body) {
  Response r;
  r.status = status;
  r.headers.set("Content-Type", "application/json; charset=utf-8");
  r.body = json::to_string(body);
  return r;
}

Response method_not_allowed(const Request& req, const char* allow, const char* route) {
  Response r = outcome_response(405, "not-supported", "Method " + req.method + " is not allowed on " + req.path +
                                                          " (allowed: " + allow + ")");
  r.headers.set("Allow", allow);
  return labelled(r, route);
}

// A mapping given in a $debug body: a JSON object (re-printed) or a string holding the JSON text.
std::string mapping_text(const json::Value& v) {
  if (v.IsString()) return std::string(v.GetString(), v.GetStringLength());
  return json::to_string(v, true);
}

size_t count_param(const Request& req, size_t fallback, size_t max) {
  auto p = req.param("_count");
  size_t n = fallback;
  if (p) std::from_chars(p->data(), p->data() + p->size(), n);
  return std::clamp<size_t>(n, 1, max);
}

}  // namespace

Response MedtechConnector::handle(Request& req) {
  const auto& s = req.segments;
  if (s.size() == 1 && s[0] == "messages")
    return req.method == "POST" ? labelled(ingest(req), "medtech.messages")
                                : method_not_allowed(req, "POST", "medtech.messages");
  if (s.size() == 1 && s[0] == "errors")
    return req.method == "GET" ? labelled(errors(req), "medtech.errors")
                               : method_not_allowed(req, "GET", "medtech.errors");
  if (s.size() == 2 && s[0] == "errors" && s[1] == "$replay")
    return req.method == "POST" ? labelled(replay(req), "medtech.replay")
                                : method_not_allowed(req, "POST", "medtech.replay");
  if (s.size() == 1 && s[0] == "$debug")
    return req.method == "POST" ? labelled(debug(req), "medtech.debug") : method_not_allowed(req, "POST", "medtech.debug");
  return labelled(outcome_response(404, "not-found",
                                   "No MedTech route at " + req.path +
                                       " (routes: POST messages, GET errors, POST errors/$replay, POST $debug)"),
                  "medtech.notfound");
}

Response MedtechConnector::ingest(Request& req) {
  std::vector<std::string> messages;
  std::string why;
  if (!split_messages(req.body, messages, why)) return outcome_response(400, "invalid", why);
  const size_t limit = loaded()->settings.queue_limit;
  const size_t depth = queue_->size();
  if (depth + messages.size() > limit) {
    metrics_.error("Throttled");
    Response r = outcome_response(429, "throttled",
                                  "The MedTech service's queue is full (" + std::to_string(depth) + " waiting, limit " +
                                      std::to_string(limit) + ", " + std::to_string(messages.size()) +
                                      " offered); retry later");
    r.headers.set("Retry-After", "1");
    return r;
  }
  enqueue(messages);
  json::Document doc(rapidjson::kObjectType);
  doc.AddMember("accepted", static_cast<uint64_t>(messages.size()), doc.GetAllocator());
  return json_response(202, doc);
}

Response MedtechConnector::errors(Request& req) {
  const size_t max = count_param(req, 100, 1000);
  json::Document doc(rapidjson::kObjectType);
  auto& a = doc.GetAllocator();
  doc.AddMember("total", static_cast<uint64_t>(queue_->dead_letter_count()), a);
  json::Value list(rapidjson::kArrayType);
  for (const auto& d : queue_->dead_letters(max)) {
    json::Value o(rapidjson::kObjectType);
    o.AddMember("id", d.id, a);
    o.AddMember("time", json::str(format_instant(d.at_us), a), a);
    o.AddMember("stage", json::str(d.stage, a), a);
    o.AddMember("kind", json::str(d.kind, a), a);
    o.AddMember("reason", json::str(d.reason, a), a);
    json::Document payload;
    if (json::parse(d.payload, payload)) {
      json::Value v;
      v.CopyFrom(payload, a);
      o.AddMember("payload", v, a);
    } else {
      o.AddMember("payload", json::str(d.payload, a), a);
    }
    list.PushBack(o, a);
  }
  doc.AddMember("value", list, a);
  return json_response(200, doc);
}

Response MedtechConnector::replay(Request&) {
  size_t n = queue_->replay_dead_letters(now_us());
  wake();
  json::Document doc(rapidjson::kObjectType);
  doc.AddMember("replayed", static_cast<uint64_t>(n), doc.GetAllocator());
  return json_response(200, doc);
}

Response MedtechConnector::debug(Request& req) {
  json::Document body;
  std::string why;
  if (!json::parse(req.body, body, &why)) return outcome_response(400, "invalid", "The body is not JSON: " + why);
  if (!body.IsObject()) return outcome_response(400, "invalid", "The body must be an object {message, deviceMapping?, fhirMapping?}");
  const json::Value* message = json::get_member(body, "message");
  if (!message) return outcome_response(400, "required", "message: required", "message");
  auto settings = loaded();
  const LoadedDestination* dest = settings->destinations.empty() ? nullptr : &settings->destinations.front();

  DebugRequest d;
  std::string device_text = settings->settings.device_mapping, fhir_text = dest ? dest->settings.fhir_mapping : "";
  if (const json::Value* m = json::get_member(body, "deviceMapping")) device_text = mapping_text(*m);
  if (const json::Value* m = json::get_member(body, "fhirMapping")) fhir_text = mapping_text(*m);
  std::string message_text = json::to_string(*message);
  d.device_mapping = device_text;
  d.fhir_mapping = fhir_text;
  d.message = message_text;
  d.now_us = now_us();
  std::shared_ptr<IdentityResolver> resolver;
  if (dest) {
    // Read-only resolution against the destination, so the ids are those the pipeline would write.
    resolver = std::make_shared<IdentityResolver>(FhirClient(call_, dest->settings.fhir_service),
                                                  dest->settings.resolution, false);
    d.resolve = [resolver](const MeasurementGroup& g, std::string* reason) -> std::optional<ResolvedIds> {
      try {
        IdentityFailure failure;
        auto ids = resolver->resolve(g, failure);
        if (!ids) *reason = failure.kind + ": " + failure.reason;
        return ids;
      } catch (const std::exception& e) {
        *reason = e.what();
        return std::nullopt;
      }
    };
  }
  json::Document out = medtech::debug(d);
  return json_response(200, out);
}

}  // namespace healthd::medtech
