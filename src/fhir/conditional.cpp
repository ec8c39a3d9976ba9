// Conditional update, delete and patch: PUT/DELETE/PATCH [type]?<search>. The search picks the
// resource; the ordinary interaction does the write (its If-Match, versioning and validation).
#include "fhir/search_request.h"
#include "fhir/service_impl.h"
#include "fhir/smart_access.h"
#include "json/json.h"

namespace healthd::fhir {

namespace {

constexpr int kMaxConditionalRounds = 4;  // a create that lost a race is retried as an update

// The query's parameters that are not search parameters of the interaction itself.
bool control_param(std::string_view name) { return name == "hardDelete" || name == "_format" || name == "_pretty"; }

}  // namespace

Response FhirService::Impl::conditional(Request& req, const std::string& type, const SmartAccess& smart) {
  std::vector<std::pair<std::string, std::string>> params;
  for (const auto& kv : req.query)
    if (!control_param(kv.first)) params.push_back(kv);
  // Strict: a condition the server does not understand must not match everything.
  ParsedSearch parsed;
  if (auto bad = parse_search(search_context(req, true), {type}, params, parsed)) return std::move(*bad);
  SearchQuery q = std::move(parsed.query);
  if (q.clauses.empty())
    return error(400, "invalid", "A conditional " + req.method + " needs search parameters to select the resource");
  const bool multiple_delete = req.method == "DELETE" && req.param("_count").has_value();
  const int limit = multiple_delete ? std::max(q.count, 1) : 2;
  q.count = limit;
  q.with_total = false;
  q.sort.clear();

  for (int round = 0; round < kMaxConditionalRounds; ++round) {
    std::vector<StoredVersion> found = store->search(q).entries;
    if (smart.needs_resource_check()) {
      // Under patient/ scopes only resources the caller may write are candidates.
      const auto letter = req.method == "DELETE" ? auth::Interaction::Delete : auth::Interaction::Update;
      std::erase_if(found, [&](const StoredVersion& v) { return !smart.permits_json(v.json, letter); });
      if (req.method == "PUT" && !smart.permits_json(req.body, auth::Interaction::Update))
        return SmartAccess::outside_compartment("The " + type + " sent");
    }

    if (req.method == "DELETE") {
      if (found.size() > 1 && !multiple_delete)
        return error(412, "multiple-matches", "The condition matches more than one " + type +
                                                  "; add _count to delete up to that many");
      Response done;
      done.status = 204;
      for (const auto& v : found) {
        Response r = remove(req, type, v.id);
        if (r.status >= 300) return r;
      }
      return done;
    }
    if (found.size() > 1) return error(412, "multiple-matches", "The condition matches more than one " + type);

    if (req.method == "PATCH") {
      if (found.empty()) return error(404, "not-found", "No " + type + " matches the condition");
      return patch(req, type, found[0].id, smart);
    }

    // PUT
    json::Document doc;
    if (!json::parse(req.body, doc) || !doc.IsObject())
      return error(400, "structure", "The body is not a JSON object");
    auto body_id = json::get_string(doc, "id");
    if (found.size() == 1) {
      const std::string& id = found[0].id;
      if (body_id && *body_id != id)
        return error(400, "invalid", "The id in the body ('" + std::string(*body_id) + "') is not the id of the match ('" +
                                         id + "')", type + ".id");
      if (!body_id) {
        doc.AddMember("id", json::Value(id.c_str(), doc.GetAllocator()), doc.GetAllocator());
        req.body = json::to_string(doc);
      }
      return update(req, type, id);
    }
    // No match: with an id it is an update as create; without one a create that the store
    // refuses if a match appeared meanwhile (then the next round updates it).
    if (body_id) return update(req, type, std::string(*body_id));
    std::string condition;
    for (const auto& [k, v] : params) condition += (condition.empty() ? "" : "&") + percent_encode(k) + "=" + percent_encode(v);
    req.headers.set("If-None-Exist", condition);
    Response r = create(req, type);
    req.headers.remove("If-None-Exist");
    if (r.status != 200) return r;  // 201 created, or an error
  }
  return error(409, "conflict", "The matches of the condition kept changing; try again");
}

}  // namespace healthd::fhir
