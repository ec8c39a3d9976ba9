// Instance operations on meta and history: $meta, $meta-add, $meta-delete (the meta of the current
// version changes in place: no new version, as the spec says) and $purge-history (every version
// but the current one is removed). Type and system $meta: the union of what current resources carry.
#include <algorithm>

#include "fhir/service_impl.h"
#include "fhir/smart_access.h"
#include "json/json.h"

namespace healthd::fhir {

namespace {

// {"resourceType":"Parameters","parameter":[{"name":"return","valueMeta":<meta>}]}
std::string meta_parameters(const json::Value& meta) {
  json::Document d;
  d.SetObject();
  auto& a = d.GetAllocator();
  d.AddMember("resourceType", "Parameters", a);
  json::Value p(rapidjson::kObjectType);
  p.AddMember("name", "return", a);
  p.AddMember("valueMeta", json::Value(meta, a), a);
  json::Value params(rapidjson::kArrayType);
  params.PushBack(p, a);
  d.AddMember("parameter", params, a);
  return json::to_string(d);
}

bool same_coding(const json::Value& a, const json::Value& b) {
  auto s = [](const json::Value& v, const char* k) { return json::get_string(v, k).value_or(""); };
  return s(a, "system") == s(b, "system") && s(a, "code") == s(b, "code");
}

bool same_item(const json::Value& a, const json::Value& b) {
  if (a.IsString() && b.IsString()) return std::string_view(a.GetString()) == std::string_view(b.GetString());
  return a.IsObject() && b.IsObject() && same_coding(a, b);
}

// Adds (or removes) the tags, security labels and profiles of `change` to (from) meta.
void apply_meta(json::Value& meta, const json::Value& change, bool add, json::Allocator& a) {
  for (const char* field : {"tag", "security", "profile"}) {
    const json::Value* items = json::get_member(change, field);
    if (!items || !items->IsArray()) continue;
    if (!meta.HasMember(field)) {
      if (!add) continue;
      meta.AddMember(json::Value(field, a), json::Value(rapidjson::kArrayType), a);
    }
    json::Value& list = meta[field];
    for (const auto& item : items->GetArray()) {
      auto found = std::find_if(list.Begin(), list.End(), [&](const json::Value& v) { return same_item(v, item); });
      if (add && found == list.End()) list.PushBack(json::Value(item, a), a);
      if (!add && found != list.End()) list.Erase(found);
    }
    if (list.Empty()) meta.RemoveMember(field);
  }
}

// Resources read per page while collecting the meta in use.
constexpr int kMetaPage = 500;

}  // namespace

Response FhirService::Impl::meta_in_use(Request& req, const std::string& type, const SmartAccess& smart) {
  if (!type.empty() && smart.active())
    if (auto denied = smart.check(type, auth::Interaction::Search)) return std::move(*denied);
  json::Document union_doc;
  union_doc.SetObject();
  auto& a = union_doc.GetAllocator();
  // Only resources carrying a value of the element's search parameter are read, page by page.
  for (const char* param : {"_profile", "_tag", "_security"}) {
    ParsedSearch parsed;
    std::vector<std::string> types;
    if (!type.empty()) types.push_back(type);
    if (auto bad = parse_search(search_context(req, true), types, {{std::string(param) + ":missing", "false"}}, parsed))
      return std::move(*bad);
    SearchQuery& q = parsed.query;
    q.count = kMetaPage;
    q.with_total = false;
    q.sort.clear();
    for (;;) {
      SearchPage page = store->search(q);
      for (const StoredVersion& v : page.entries) {
        if (smart.active() && (smart.check(v.type, auth::Interaction::Search) ||
                               (smart.needs_resource_check() && !smart.permits_json(v.json, auth::Interaction::Search))))
          continue;
        json::Document doc;
        if (!json::parse(v.json, doc) || !doc.IsObject()) continue;
        if (const json::Value* meta = json::get_member(doc, "meta"); meta && meta->IsObject())
          apply_meta(union_doc, *meta, true, a);
      }
      if (!page.has_more) break;
      q.after = page.next;
    }
  }
  Response r;
  r.status = 200;
  set_json_body(req, r, meta_parameters(union_doc));
  return r;
}

Response FhirService::Impl::meta_operation(Request& req, const std::string& type, const std::string& id,
                                           const std::string& op) {
  for (int attempt = 0; attempt < kMaxWriteAttempts; ++attempt) {
    auto cur = store->current(type, id);
    if (!cur) return error(404, "not-found", "Resource " + type + "/" + id + " is not known");
    if (cur->deleted()) return error(410, "deleted", "Resource " + type + "/" + id + " was deleted");

    if (op == "$purge-history") {
      if (req.method != "POST") return error(405, "not-supported", "$purge-history is POST only");
      WriteOp w;
      w.kind = WriteOp::Kind::PurgeHistory;
      w.type = type;
      w.id = id;
      w.version = cur->version;
      CommitResult c = store->commit({w});
      if (c.status == CommitResult::Status::Conflict) continue;
      if (!c.ok()) return store_failure(c);
      return outcome_response(200, {{"information", "informational",
                                     "Every version of " + type + "/" + id + " before " +
                                         std::to_string(cur->version) + " was removed",
                                     {}}});
    }

    json::Document doc;
    if (!json::parse(cur->json, doc) || !doc.IsObject())
      return error(500, "exception", "The stored " + type + "/" + id + " is not a JSON object");
    auto& a = doc.GetAllocator();
    if (!doc.HasMember("meta")) doc.AddMember("meta", json::Value(rapidjson::kObjectType), a);
    if (op == "$meta") {
      Response r;
      r.status = 200;
      set_json_body(req, r, meta_parameters(doc["meta"]));
      return r;
    }
    // $meta-add / $meta-delete: a Parameters body with one "meta" parameter (valueMeta).
    if (req.method != "POST") return error(405, "not-supported", op + " is POST only");
    json::Document in;
    const json::Value* change = nullptr;
    if (json::parse(req.body, in) && in.IsObject())
      if (const json::Value* params = json::get_member(in, "parameter"); params && params->IsArray())
        for (const auto& p : params->GetArray())
          if (json::get_string(p, "name").value_or("") == "meta") change = json::get_member(p, "valueMeta");
    if (!change || !change->IsObject())
      return error(400, "invalid", op + " takes a Parameters resource with a 'meta' parameter (valueMeta)");
    apply_meta(doc["meta"], *change, op == "$meta-add", a);

    WriteOp w;
    w.kind = WriteOp::Kind::Amend;
    w.type = type;
    w.id = id;
    w.version = cur->version;
    w.index = index_rows(type, doc, req.base_url);
    w.json = json::to_string(doc);
    CommitResult c = store->commit({w});
    if (c.status == CommitResult::Status::Conflict) continue;
    if (!c.ok()) return store_failure(c);
    Response r;
    r.status = 200;
    set_json_body(req, r, meta_parameters(doc["meta"]));
    return r;
  }
  return conflict_exhausted(type, id);
}

}  // namespace healthd::fhir
