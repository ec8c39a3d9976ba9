// POST [base] with a Bundle: checks the Bundle, then a batch runs each entry through the ordinary
// routes (transactions: transaction.cpp).
#include "fhir/bundle_entries.h"
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
Response FhirService::Impl::batch(Request& req, json::Document& doc) {
  rapidjson::StringBuffer buf;
  bundle::Writer w(buf);
  bundle::begin(w, "batch-response", std::nullopt);
  bundle::key(w, "entry");
  w.StartArray();
  const bool with_resource = return_preference(req) == ReturnPref::Representation && req.headers.has("Prefer");
  auto entries = doc.FindMember("entry");
  if (entries != doc.MemberEnd()) {
    auto& list = entries->value;
    for (rapidjson::SizeType i = 0; i < list.Size(); ++i) {
      BundleEntry e;
      Response r;
      if (auto bad = read_entry(list[i], i, req.base_url, e)) {
        r = std::move(*bad);
      } else {
        Request er = entry_request(req, e);
        if (auto bad = entry_body(e, er)) {
          r = std::move(*bad);
        } else if (auto denied = entry_permission(er)) {
          r = std::move(*denied);
        } else if (const RouteSpec* spec = match_fhir_route(er).route; spec && spec->interaction == Interaction::Bundle) {
          r = error(400, "not-supported", entry_path(i) + ": a Bundle entry cannot post another Bundle");
        } else {
          r = route(er);
        }
      }
      // Reads answer with what they found; writes with the resource only when Prefer asks for it.
      write_response_entry(w, r, with_resource || e.method == "GET" || e.method == "HEAD");
    }
  }
  w.EndArray();
  w.EndObject();
  Response out;
  set_json_body(req, out, std::string(buf.GetString(), buf.GetSize()));
  return out;
}

}  // namespace healthd::fhir
