// POST [base] with a transaction Bundle: all writes in one store commit, all or nothing.
// Entries are processed in the order the spec gives (DELETE, POST, PUT/PATCH, then GET/HEAD after
// the commit); the ids of created resources are chosen first so that every reference to an
// entry's fullUrl (urn:uuid:, urn:oid: or a URL) and every conditional reference can be rewritten
// before anything is stored. Each write is prepared by the same code as a single interaction.
#include <algorithm>
#include <set>
#include <unordered_map>

#include "common/ids.h"
#include "fhir/bundle_entries.h"
#include "fhir/bundle_references.h"
#include "fhir/resource_body.h"
#include "fhir/routes.h"
#include "fhir/search_request.h"
#include "fhir/service_impl.h"
#include "fhir/smart_access.h"

namespace healthd::fhir {

namespace {

// A writer that wins a race against the transaction (a version check or a conditional create that
// now matches) makes it start again from the Bundle: at most this many times.
constexpr int kMaxRounds = 8;

int processing_class(const std::string& method) {
  if (method == "DELETE") return 0;
  if (method == "POST") return 1;
  if (method == "PUT" || method == "PATCH") return 2;
  return 3;  // GET, HEAD
}

bool is_write(const std::string& method) { return processing_class(method) < 3; }

using UrlMap = std::unordered_map<std::string, std::string, StringHash, std::equal_to<>>;

// What one entry does in this round.
struct EntryPlan {
  BundleEntry e;
  std::string type, id;
  std::shared_ptr<const SearchQuery> unless;  // a create under a condition (ifNoneExist, conditional PUT)
  bool creates = false;                       // POST, or a conditional PUT that matched nothing
  std::optional<Response> answer;             // decided without a write (a match, deleting nothing)
  std::optional<size_t> same_as;              // a conditional create with the same condition as that entry
  PreparedWrite write;
  json::Document patch;                       // a JSON Patch decoded from its Binary
};

// The parameters of a conditional url, without the interaction's own controls.
std::vector<std::pair<std::string, std::string>> condition_params(const BundleEntry& e) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& kv : e.query)
    if (kv.first != "hardDelete" && kv.first != "_format" && kv.first != "_pretty") out.push_back(kv);
  return out;
}

}  // namespace

Response FhirService::Impl::transaction(Request& req, json::Document& doc) {
  std::optional<Response> smart_bad;
  SmartAccess smart = SmartAccess::for_request(req, *definitions, compartment, &smart_bad, search_params.current());
  if (smart_bad) return std::move(*smart_bad);
  const bool with_resource = return_preference(req) == ReturnPref::Representation && req.headers.has("Prefer");
  const ReturnPref entry_pref = with_resource ? ReturnPref::Representation : ReturnPref::Minimal;

  // The resources matching a condition (strict), at most `limit`; or the error answer.
  auto matches = [&](const std::string& type, const std::vector<std::pair<std::string, std::string>>& params,
                     std::vector<StoredVersion>& out) -> std::optional<Response> {
    ParsedSearch parsed;
    if (auto bad = parse_search(search_context(req, true), {type}, params, parsed)) return bad;
    if (parsed.query.clauses.empty()) return error(400, "invalid", "The condition names no search parameter");
    parsed.query.count = 2;
    parsed.query.with_total = false;
    parsed.query.sort.clear();
    out = store->search(parsed.query).entries;
    return std::nullopt;
  };

  // Conditional creates found, at commit, to match a resource another entry creates: entry -> that
  // entry (kept across rounds, as the ids are chosen anew in each).
  std::unordered_map<size_t, size_t> forced_same_as;
  for (int round = 0; round < kMaxRounds; ++round) {
    if (round > 0) {
      doc = json::Document();  // the previous round consumed the resources: read the Bundle again
      json::parse(req.body, doc);
    }
    auto& alloc = doc.GetAllocator();
    auto list = doc.FindMember("entry");
    const size_t n = list == doc.MemberEnd() ? 0 : list->value.Size();
    std::vector<EntryPlan> plans(n);

    // 1. Read every entry and check what it may do.
    for (size_t i = 0; i < n; ++i) {
      EntryPlan& p = plans[i];
      if (auto bad = read_entry(list->value[static_cast<rapidjson::SizeType>(i)], i, req.base_url, p.e)) return *bad;
      Request er = entry_request(req, p.e);
      RouteMatch m = match_fhir_route(er);
      if (!m.route)
        return entry_failure(error(m.allowed.empty() ? 404 : 405, "not-supported",
                                   "No FHIR interaction for " + p.e.method + " " + p.e.url),
                             i);
      const Interaction in = m.route->interaction;
      const bool write_ok = in == Interaction::Create || in == Interaction::Update || in == Interaction::Delete ||
                            in == Interaction::Patch || in == Interaction::Conditional;
      const bool read_ok = in == Interaction::Read || in == Interaction::VRead || in == Interaction::Search ||
                           in == Interaction::SearchSystem || in == Interaction::SearchCompartment ||
                           in == Interaction::HistoryInstance || in == Interaction::HistoryType ||
                           in == Interaction::HistorySystem || in == Interaction::Capabilities;
      if (is_write(p.e.method) ? !write_ok : !read_ok)
        return entry_failure(error(400, "not-supported", p.e.method + " " + p.e.url + " is not supported in a transaction"),
                             i);
      if (std::string(m.route->pattern).starts_with("{type}")) {
        p.type = p.e.segments[0];
        if (!definitions->is_resource_type(p.type))
          return entry_failure(error(404, "not-found", "Unknown resource type '" + p.type + "'"), i);
      }
      if (in != Interaction::Create && in != Interaction::Conditional && p.e.segments.size() >= 2 &&
          is_write(p.e.method)) {
        p.id = p.e.segments[1];
        if (!is_valid_fhir_id(p.id))
          return entry_failure(error(400, "invalid", "'" + p.id + "' is not a valid resource id"), i);
      }
      if (auto denied = entry_permission(er)) return entry_failure(std::move(*denied), i);
      if (p.e.resource && (p.e.method == "POST" || p.e.method == "PUT")) {
        auto rt = json::get_string(*p.e.resource, "resourceType");
        if (!rt || *rt != p.type)
          return entry_failure(error(400, "invalid", "The entry's resource is not a " + p.type, "resourceType"), i);
      }
    }

    std::vector<size_t> order(n);
    for (size_t i = 0; i < n; ++i) order[i] = i;
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
      return processing_class(plans[a].e.method) < processing_class(plans[b].e.method);
    });

    // 2. Who each write touches: ids for creates, matches of conditional urls; fullUrl -> Type/id.
    UrlMap full_urls;
    full_urls.reserve(n);
    std::unordered_map<std::string, size_t> create_conditions;  // "Type?condition" -> entry
    std::set<std::pair<std::string, std::string>> touched;
    for (size_t i : order) {
      EntryPlan& p = plans[i];
      const std::string& method = p.e.method;
      if (!is_write(method)) continue;
      const bool conditional_url = p.e.segments.size() == 1 && method != "POST";
      if (conditional_url) {
        std::vector<StoredVersion> found;
        if (auto bad = matches(p.type, condition_params(p.e), found)) return entry_failure(std::move(*bad), i);
        if (found.size() > 1)
          return entry_failure(error(412, "multiple-matches", "The condition matches more than one " + p.type), i);
        if (found.size() == 1) {
          p.id = found[0].id;
          if (method == "PUT") {
            // The body names the match, or no id (it gets the match's).
            json::Value& res = *p.e.resource;
            auto body_id = json::get_string(res, "id");
            if (body_id && *body_id != p.id)
              return entry_failure(error(400, "invalid", "The id in the body ('" + std::string(*body_id) +
                                                             "') is not the id of the match ('" + p.id + "')"),
                                   i);
            if (!body_id) res.AddMember("id", json::str(p.id, alloc), alloc);
          }
        } else if (method == "DELETE") {
          Response none;  // nothing matches: nothing to delete
          none.status = 204;
          p.answer = std::move(none);
        } else if (method == "PATCH") {
          return entry_failure(error(404, "not-found", "No " + p.type + " matches the condition"), i);
        } else if (auto body_id = json::get_string(*p.e.resource, "id")) {
          p.id = *body_id;  // update as create
        } else {
          // A create that the store refuses if a match appears before the commit.
          std::optional<StoredVersion> none;
          std::string condition;
          for (const auto& [k, v] : condition_params(p.e))
            condition += (condition.empty() ? "" : "&") + percent_encode(k) + "=" + percent_encode(v);
          if (!create_conditions.emplace(p.type + "?" + condition, i).second)
            return entry_failure(error(400, "invalid", "Two entries of the transaction update " + p.type + "?" + condition +
                                                           ", which matches nothing: the resource they would create overlaps"),
                                 i);
          if (auto bad = if_none_exist(req, p.type, condition, none, p.unless)) return entry_failure(std::move(*bad), i);
          p.creates = !none;  // a match that appeared since the search above is updated
          p.id = none ? none->id : new_time_ordered_uuid();
        }
      } else if (method == "POST") {
        p.creates = true;
        if (auto forced = forced_same_as.find(i); forced != forced_same_as.end()) {
          p.same_as = forced->second;
          p.id = plans[forced->second].id;
          p.creates = false;
        } else if (auto cond = p.e.headers.get("If-None-Exist")) {
          std::string key = p.type + "?" + std::string(*cond);
          if (auto it = create_conditions.find(key); it != create_conditions.end()) {
            // The same condition twice in one transaction makes one resource.
            p.same_as = it->second;
            p.id = plans[it->second].id;
            p.creates = false;
          } else {
            std::optional<StoredVersion> match;
            if (auto bad = if_none_exist(req, p.type, *cond, match, p.unless)) return entry_failure(std::move(*bad), i);
            if (match) {
              p.id = match->id;
              p.creates = false;
              p.answer = resource_response(req, 200, *match, true, entry_pref);
            } else {
              create_conditions.emplace(std::move(key), i);
            }
          }
        }
        if (p.id.empty()) p.id = new_time_ordered_uuid();
      }
      if (!p.answer && !p.same_as && !touched.emplace(p.type, p.id).second)
        return entry_failure(error(400, "invalid", "More than one entry of the transaction writes " + p.type + "/" + p.id),
                             i);
      if (!p.e.full_url.empty() && !p.id.empty() && method != "DELETE") full_urls[p.e.full_url] = p.type + "/" + p.id;
    }

    // 3. Rewrite references, validate and prepare every write.
    std::unordered_map<std::string, std::string> conditional_refs;  // "Type?query" -> "Type/id"
    std::optional<Response> ref_error;
    ReferenceResolver resolve = [&](std::string_view value, ReferenceSite site) -> std::optional<std::string> {
      if (auto it = full_urls.find(value); it != full_urls.end()) return it->second;
      if (site != ReferenceSite::Reference) return std::nullopt;
      size_t q = value.find('?');
      if (q == std::string_view::npos || q == 0 || value.substr(0, q).find('/') != std::string_view::npos)
        return std::nullopt;
      std::string key(value);
      if (auto it = conditional_refs.find(key); it != conditional_refs.end()) return it->second;
      std::string type(value.substr(0, q));
      if (!definitions->is_resource_type(type)) {
        ref_error = error(400, "invalid", "Conditional reference '" + key + "' names no resource type");
        return std::nullopt;
      }
      std::vector<StoredVersion> found;
      if (auto bad = matches(type, parse_query(value.substr(q + 1)), found)) {
        ref_error = std::move(bad);
        return std::nullopt;
      }
      if (found.size() != 1) {
        ref_error = found.empty() ? error(400, "not-found", "Conditional reference '" + key + "' matches no resource")
                                  : error(412, "multiple-matches", "Conditional reference '" + key + "' matches more than one resource");
        return std::nullopt;
      }
      return conditional_refs[key] = type + "/" + found[0].id;
    };

    for (size_t i : order) {
      EntryPlan& p = plans[i];
      const std::string& method = p.e.method;
      if (!is_write(method) || p.answer || p.same_as) continue;
      auto if_match_header = p.e.headers.get("If-Match");
      std::optional<int64_t> if_match;
      if (if_match_header) {
        if_match = parse_etag(*if_match_header);
        if (!if_match) return entry_failure(error(400, "invalid", "ifMatch must be a version ETag such as W/\"1\""), i);
      }
      Request er;
      if (smart.needs_resource_check()) er = entry_request(req, p.e);

      if (method == "POST" || method == "PUT") {
        json::Value& res = *p.e.resource;
        if (auto bad = check_resource(*this, req, res, p.type)) return entry_failure(std::move(*bad), i);
        rewrite_references(res, alloc, *definitions, resolve);
        if (ref_error) return entry_failure(std::move(*ref_error), i);
        if (smart.active()) {
          const Interaction in = p.creates ? Interaction::Create : Interaction::Update;
          if (smart.needs_resource_check()) er.body = json::to_string(res);
          if (auto denied = smart_gate(smart, in, p.type, p.id, er)) return entry_failure(std::move(*denied), i);
        }
        p.write = p.creates ? prepare_create(req, p.type, res, alloc, p.unless, p.id)
                            : prepare_update(req, p.type, p.id, res, alloc, if_match);
      } else if (method == "PATCH") {
        Request body;
        if (auto bad = entry_body(p.e, body)) return entry_failure(std::move(*bad), i);
        const bool fhirpath = body.headers.get("Content-Type").value_or("").find("json-patch") == std::string_view::npos;
        const json::Value* patch_doc = p.e.resource;
        if (fhirpath) {
          rewrite_references(*p.e.resource, alloc, *definitions, resolve);  // values of the Parameters
          if (ref_error) return entry_failure(std::move(*ref_error), i);
        } else {
          std::string why;
          if (!json::parse(body.body, p.patch, &why))
            return entry_failure(error(400, "structure", "The JSON Patch in the Binary is not valid JSON: " + why), i);
          rewrite_patch_references(p.patch, p.patch.GetAllocator(), resolve);  // values naming other entries
          if (ref_error) return entry_failure(std::move(*ref_error), i);
          patch_doc = &p.patch;
        }
        if (smart.active())
          if (auto denied = smart_gate(smart, Interaction::Patch, p.type, p.id, er)) return entry_failure(std::move(*denied), i);
        p.write = prepare_patch(req, p.type, p.id, *patch_doc, fhirpath, if_match, smart);
      } else {  // DELETE
        if (smart.active())
          if (auto denied = smart_gate(smart, Interaction::Delete, p.type, p.id, er)) return entry_failure(std::move(*denied), i);
        auto hard = std::find_if(p.e.query.begin(), p.e.query.end(), [](const auto& kv) { return kv.first == "hardDelete"; });
        p.write = prepare_delete(p.type, p.id, if_match, hard != p.e.query.end() && hard->second == "true");
      }
      if (p.write.answer) {
        if (p.write.answer->status >= 400) return entry_failure(std::move(*p.write.answer), i);
        p.answer = std::move(p.write.answer);  // nothing to write (deleting what is gone)
      }
    }

    // 4. One commit for every write.
    std::vector<WriteOp> ops;
    std::vector<size_t> op_entry;
    ops.reserve(n);
    op_entry.reserve(n);
    for (size_t i : order) {
      EntryPlan& p = plans[i];
      if (p.answer || p.same_as || !is_write(p.e.method)) continue;
      for (auto& op : p.write.ops) {
        ops.push_back(std::move(op));
        op_entry.push_back(i);
      }
    }
    if (!ops.empty()) {
      CommitResult r = store->commit(std::move(ops));
      if (r.status == CommitResult::Status::Conflict || r.status == CommitResult::Status::Exists) {
        const size_t i = r.failed_op >= 0 && static_cast<size_t>(r.failed_op) < op_entry.size() ? op_entry[r.failed_op] : 0;
        if (r.status == CommitResult::Status::Exists) {
          // A resource this transaction creates matches the condition: that entry stands for both.
          for (size_t j : order)
            if (j != i && plans[j].creates && !r.existing_ids.empty() && plans[j].id == r.existing_ids[0]) {
              if (plans[i].e.method != "POST")
                return entry_failure(error(400, "invalid", "The conditional update matches " + plans[j].type + "/" +
                                                               plans[j].id + ", which " + entry_path(j) + " creates"),
                                     i);
              forced_same_as[i] = j;
              break;
            }
        }
        if (r.status == CommitResult::Status::Conflict && plans[i].write.if_match)
          return entry_failure(error(412, "conflict", plans[i].type + "/" + plans[i].id +
                                                          " was changed concurrently; ifMatch no longer matches"),
                               i);
        continue;  // someone else wrote first: plan again against what is stored now
      }
      if (!r.ok()) return store_failure(r);
    }

    // 5. The answer, entries in the Bundle's order; reads run now and see the transaction's writes.
    rapidjson::StringBuffer buf;
    bundle::Writer w(buf);
    bundle::begin(w, "transaction-response", std::nullopt);
    bundle::key(w, "entry");
    w.StartArray();
    for (size_t i = 0; i < n; ++i) {
      EntryPlan& p = plans[i];
      if (!is_write(p.e.method)) {
        Request er = entry_request(req, p.e);
        write_response_entry(w, route(er), true);
        continue;
      }
      const EntryPlan* source = &p;
      while (source->same_as) source = &plans[*source->same_as];
      Response r = source->answer ? *source->answer : source->write.committed(req, entry_pref);
      if (p.same_as) r.status = 200;  // the earlier entry created it
      write_response_entry(w, r, with_resource);
    }
    w.EndArray();
    w.EndObject();
    Response out;
    set_json_body(req, out, std::string(buf.GetString(), buf.GetSize()));
    return out;
  }
  return error(409, "conflict", "The transaction kept losing races with concurrent writers; try again");
}

}  // namespace healthd::fhir
