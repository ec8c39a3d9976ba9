// POST [base] with a Bundle: checks the Bundle, then a batch runs each entry through the ordinary
// routes (transactions: transaction.cpp).
#include "fhir/bundle_entries.h"
#include "fhir/bundle_lanes.h"
#include "fhir/lane_runner.h"
#include "fhir/routes.h"
#include "fhir/service_impl.h"

namespace healthd::fhir {

Response FhirService::Impl::bundle(Request& req) {
  if (auto bad = check_content_type(req)) return *bad;
  if (req.body.empty()) return error(400, "invalid", "The request has no body; a batch or transaction Bundle was expected");
  json::Document doc;
  std::string why;
  if (!json::parse(req.body, doc, &why)) return error(400, "structure", "The body is not valid JSON: " + why);
  if (!doc.IsObject()) return error(400, "structure", "The body must be a Bundle resource");
  auto rt = json::get_string(doc, "resourceType");
  if (!rt || *rt != "Bundle")
    return error(400, "invalid", "POST to the service base takes a Bundle (batch or transaction)", "resourceType");
  auto type = json::get_string(doc, "type");
  if (!type || (*type != "batch" && *type != "transaction"))
    return error(400, "invalid",
                 "Bundle.type must be batch or transaction (found '" + std::string(type.value_or("")) + "')",
                 "Bundle.type");
  auto entries = doc.FindMember("entry");
  if (entries != doc.MemberEnd() && !entries->value.IsArray())
    return error(400, "structure", "Bundle.entry must be an array", "Bundle.entry");
  const size_t count = entries == doc.MemberEnd() ? 0 : entries->value.Size();
  if (count > static_cast<size_t>(settings.max_bundle_entries))
    return error(413, "too-costly",
                 "The Bundle has " + std::to_string(count) + " entries; this service takes at most " +
                     std::to_string(settings.max_bundle_entries) + " (setting max_bundle_entries)",
                 "Bundle.entry");
  if (*type == "batch") return batch(req, doc);
  return transaction(req, doc);
}

// Entries are independent: each runs as its own request (routes, permissions, SMART scopes,
// validation, conditional handling: all as for a single interaction) and a failing one fails alone.
// Entries that touch the same resources keep the Bundle's order (bundle_lanes.h); the lanes run in
// parallel on free workers of the server's pool, at most settings.batch_parallelism at once, and
// the answers are written in entry order.
Response FhirService::Impl::batch(Request& req, json::Document& doc) {
  const bool with_resource = return_preference(req) == ReturnPref::Representation && req.headers.has("Prefer");
  auto list = doc.FindMember("entry");
  const size_t n = list == doc.MemberEnd() ? 0 : list->value.Size();
  std::vector<BundleEntry> entries(n);
  std::vector<Response> answers(n);
  std::vector<const BundleEntry*> readable(n, nullptr);
  for (size_t i = 0; i < n; ++i) {
    if (auto bad = read_entry(list->value[static_cast<rapidjson::SizeType>(i)], i, req.base_url, entries[i]))
      answers[i] = std::move(*bad);
    else
      readable[i] = &entries[i];
  }
  auto run_entry = [&](size_t i) {
    if (!readable[i]) return;  // answered while reading it
    const BundleEntry& e = entries[i];
    Request er = entry_request(req, e);
    if (auto bad = entry_body(e, er)) {
      answers[i] = std::move(*bad);
    } else if (auto denied = entry_permission(er)) {
      answers[i] = std::move(*denied);
    } else if (const RouteSpec* spec = match_fhir_route(er).route; spec && spec->interaction == Interaction::Bundle) {
      answers[i] = error(400, "not-supported", entry_path(i) + ": a Bundle entry cannot post another Bundle");
    } else {
      answers[i] = route(er);
    }
  };
  run_lanes(req, settings.batch_parallelism, batch_lanes(readable, *definitions), [&](size_t i) {
    try {
      run_entry(i);
    } catch (const std::exception& e) {  // on a helper thread nothing else would catch it
      answers[i] = error(500, "exception", entry_path(i) + ": " + e.what());
    }
  });

  rapidjson::StringBuffer buf;
  bundle::Writer w(buf);
  bundle::begin(w, "batch-response", std::nullopt);
  bundle::key(w, "entry");
  w.StartArray();
  // Reads answer with what they found; writes with the resource only when Prefer asks for it.
  for (size_t i = 0; i < n; ++i)
    write_response_entry(w, answers[i], with_resource || entries[i].method == "GET" || entries[i].method == "HEAD");
  w.EndArray();
  w.EndObject();
  Response out;
  set_json_body(req, out, std::string(buf.GetString(), buf.GetSize()));
  return out;
}

}  // namespace healthd::fhir
