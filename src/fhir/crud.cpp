// create, read, vread, update, delete. Each write is prepared as store ops (prepare_*), shared
// with the entries of transactions and batches, then committed.
#include "common/ids.h"
#include "common/time.h"
#include "fhir/resource_body.h"
#include "fhir/search_request.h"
#include "fhir/service_impl.h"

namespace healthd::fhir {

Response PreparedWrite::committed(const Request& req, ReturnPref pref) const {
  if (status == 204) {
    Response r;
    r.status = 204;
    if (version.version > 0) r.headers.set("ETag", etag_for(version.version));  // none after a hard delete
    return r;
  }
  return resource_response(req, status, version, true, pref);
}

Response FhirService::Impl::write_with_retries(const Request& req, const std::string& type, const std::string& id,
                                               const std::function<PreparedWrite()>& prepare) {
  for (int attempt = 0; attempt < kMaxWriteAttempts; ++attempt) {
    PreparedWrite p = prepare();
    if (p.answer) return std::move(*p.answer);
    CommitResult r = store->commit(std::move(p.ops));
    if (r.ok()) return p.committed(req, return_preference(req));
    if (r.status != CommitResult::Status::Conflict) return store_failure(r);
    if (p.if_match)
      return error(412, "conflict", type + "/" + id + " was changed concurrently; If-Match no longer matches");
  }
  return conflict_exhausted(type, id);
}

std::optional<Response> FhirService::Impl::if_none_exist(const Request& req, const std::string& type,
                                                         std::string_view condition, std::optional<StoredVersion>& match,
                                                         std::shared_ptr<const SearchQuery>& unless) {
  if (auto q = condition.find('?'); q != std::string_view::npos) condition = condition.substr(q + 1);
  // Strict: a condition the server does not understand must not match everything.
  ParsedSearch parsed;
  if (auto bad = parse_search(search_context(req, true), {type}, parse_query(condition), parsed)) return bad;
  if (parsed.query.clauses.empty())
    return error(400, "invalid", "If-None-Exist names no search parameter", "If-None-Exist");
  auto query = std::make_shared<SearchQuery>(std::move(parsed.query));
  query->count = 2;
  query->with_total = false;
  query->sort.clear();
  SearchPage found = store->search(*query);
  if (found.entries.size() > 1)
    return error(412, "duplicate", "If-None-Exist matches more than one " + type, "If-None-Exist");
  if (found.entries.size() == 1) {
    match = std::move(found.entries[0]);
  } else {
    unless = std::move(query);
  }
  return std::nullopt;
}

PreparedWrite FhirService::Impl::prepare_create(const Request& req, const std::string& type, json::Value& doc,
                                                json::Allocator& alloc, std::shared_ptr<const SearchQuery> unless,
                                                std::string id) {
  // The server owns the id of a created resource; an id in the body is ignored (FHIR R4 3.1.0.6).
  PreparedWrite p;
  p.status = 201;
  StoredVersion& v = p.version;
  v.type = type;
  v.id = id.empty() ? new_time_ordered_uuid() : std::move(id);
  v.version = 1;
  v.last_updated_us = now_us();
  // Indexed before stamping: stamp_resource() moves the members out of doc.
  std::vector<IndexRow> index = index_rows(type, doc, req.base_url);
  v.json = stamp_resource(doc, alloc, v.id, 1, v.last_updated_us);
  WriteOp& op = p.ops.emplace_back(write_op_for(v, WriteOp::Kind::Create));
  op.index = std::move(index);
  op.unless_match = std::move(unless);
  return p;
}

Response FhirService::Impl::create(Request& req, const std::string& type) {
  if (auto bad = check_content_type(req)) return *bad;
  json::Document doc;
  if (auto bad = parse_resource(*this, req, type, doc)) return *bad;
  const ReturnPref pref = return_preference(req);

  // Conditional create: If-None-Exist holds search parameters.
  std::shared_ptr<const SearchQuery> unless;
  if (auto cond = req.headers.get("If-None-Exist")) {
    std::optional<StoredVersion> match;
    if (auto bad = if_none_exist(req, type, *cond, match, unless)) return std::move(*bad);
    if (match) return resource_response(req, 200, *match, false, pref);
  }

  PreparedWrite p = prepare_create(req, type, doc, doc.GetAllocator(), unless);
  CommitResult r = store->commit(std::move(p.ops));
  if (r.status == CommitResult::Status::Exists) {
    // Another request created a match between our search and our commit: that one stands.
    if (r.existing_ids.size() > 1)
      return error(412, "duplicate", "If-None-Exist matches more than one " + type, "If-None-Exist");
    if (auto cur = store->current(type, r.existing_ids[0])) return resource_response(req, 200, *cur, false, pref);
  }
  if (!r.ok()) return store_failure(r);
  return p.committed(req, pref);
}

Response FhirService::Impl::read(Request& req, const std::string& type, const std::string& id) {
  auto cur = store->current(type, id);
  if (!cur) return error(404, "not-found", "Resource " + type + "/" + id + " is not known");
  if (cur->deleted()) {
    Response r = error(410, "deleted", "Resource " + type + "/" + id + " was deleted");
    r.headers.set("ETag", etag_for(cur->version));
    return r;
  }
  if (auto inm = req.headers.get("If-None-Match")) {
    auto v = parse_etag(*inm);
    if (v && *v == cur->version) {
      Response r;
      r.status = 304;
      r.headers.set("ETag", etag_for(cur->version));
      r.headers.set("Last-Modified", format_http_date(cur->last_updated_us));
      return r;
    }
  } else if (auto ims = req.headers.get("If-Modified-Since")) {
    auto since = parse_http_date(*ims);
    if (since && cur->last_updated_us / 1000000 <= *since / 1000000) {
      Response r;
      r.status = 304;
      r.headers.set("ETag", etag_for(cur->version));
      r.headers.set("Last-Modified", format_http_date(cur->last_updated_us));
      return r;
    }
  }
  return resource_response(req, 200, *cur, false);
}

Response FhirService::Impl::vread(Request& req, const std::string& type, const std::string& id,
                                  const std::string& vid) {
  auto n = parse_etag(vid);
  if (!n || *n < 1) return error(404, "not-found", "Version '" + vid + "' of " + type + "/" + id + " is not known");
  auto v = store->version(type, id, *n);
  if (!v) return error(404, "not-found", "Version " + vid + " of " + type + "/" + id + " is not known");
  if (v->deleted()) {
    Response r = error(410, "deleted", "Version " + vid + " of " + type + "/" + id + " is a deletion");
    r.headers.set("ETag", etag_for(v->version));
    return r;
  }
  return resource_response(req, 200, *v, false);
}

PreparedWrite FhirService::Impl::prepare_update(const Request& req, const std::string& type, const std::string& id,
                                                json::Value& doc, json::Allocator& alloc,
                                                std::optional<int64_t> if_match) {
  PreparedWrite p;
  p.if_match = if_match.has_value();
  Versioning policy = settings.versioning_for(type);
  if (policy == Versioning::VersionUpdate && !if_match) {
    p.answer = error(412, "business-rule",
                     "The versioning policy of " + type + " is version-update: an update must carry If-Match");
    return p;
  }
  auto body_id = json::get_string(doc, "id");
  if (!body_id) {
    p.answer = error(400, "required", "The resource in an update must carry its id", type + ".id");
    return p;
  }
  if (*body_id != id) {
    p.answer = error(400, "invalid",
                     "The id in the body ('" + std::string(*body_id) + "') does not match the URL ('" + id + "')",
                     type + ".id");
    return p;
  }

  auto cur = store->current(type, id);
  int64_t cur_version = cur ? cur->version : 0;
  bool exists = cur && !cur->deleted();
  if (if_match && (!exists || *if_match != cur_version)) {
    p.answer = error(412, "conflict",
                     "If-Match " + etag_for(*if_match) + " does not match the current version " +
                         (exists ? etag_for(cur_version) : std::string("(none)")) + " of " + type + "/" + id);
    return p;
  }
  StoredVersion& v = p.version;
  v.type = type;
  v.id = id;
  v.version = cur_version + 1;
  v.last_updated_us = next_last_updated(cur);
  v.kind = StoredVersion::Kind::Update;
  std::vector<IndexRow> index = index_rows(type, doc, req.base_url);  // before stamping (it moves)
  v.json = stamp_resource(doc, alloc, id, v.version, v.last_updated_us);
  p.status = exists ? 200 : 201;
  WriteOp& op = p.ops.emplace_back(write_op_for(v, WriteOp::Kind::Update, policy != Versioning::NoVersion));
  op.index = std::move(index);
  return p;
}

Response FhirService::Impl::update(Request& req, const std::string& type, const std::string& id) {
  if (auto bad = check_content_type(req)) return *bad;
  IfMatch if_match = read_if_match(req);
  if (if_match.bad) return *if_match.bad;
  json::Document doc;
  if (auto bad = parse_resource(*this, req, type, doc)) return *bad;
  return write_with_retries(req, type, id, [&] {
    json::Document copy;  // preparing consumes the resource; a retry starts from the body again
    copy.CopyFrom(doc, copy.GetAllocator());
    return prepare_update(req, type, id, copy, copy.GetAllocator(), if_match.version);
  });
}

PreparedWrite FhirService::Impl::prepare_delete(const std::string& type, const std::string& id,
                                                std::optional<int64_t> if_match, bool hard_delete) {
  PreparedWrite p;
  p.if_match = if_match.has_value();
  p.status = 204;
  p.version.type = type;
  p.version.id = id;
  Versioning policy = settings.versioning_for(type);
  if (policy == Versioning::VersionUpdate && !if_match && !hard_delete) {
    p.answer = error(412, "business-rule",
                     "The versioning policy of " + type + " is version-update: a delete must carry If-Match");
    return p;
  }
  auto cur = store->current(type, id);
  if (if_match && (!cur || cur->deleted() || cur->version != *if_match)) {
    p.answer = error(412, "conflict", "If-Match " + etag_for(*if_match) + " does not match the current version of " +
                                          type + "/" + id);
    return p;
  }
  Response gone;  // nothing to do: deleting is idempotent
  gone.status = 204;
  if (hard_delete) {
    if (!cur) {
      p.answer = std::move(gone);
      return p;
    }
    WriteOp& op = p.ops.emplace_back();
    op.kind = WriteOp::Kind::Purge;
    op.type = type;
    op.id = id;
    return p;
  }
  if (!cur || cur->deleted()) {  // already gone: 204, no new version
    p.answer = std::move(gone);
    return p;
  }
  StoredVersion& marker = p.version;  // a deletion is a version without a body
  marker.version = cur->version + 1;
  marker.last_updated_us = next_last_updated(cur);
  marker.kind = StoredVersion::Kind::Delete;
  p.ops.push_back(write_op_for(marker, WriteOp::Kind::Delete, policy != Versioning::NoVersion));
  return p;
}

Response FhirService::Impl::remove(Request& req, const std::string& type, const std::string& id) {
  IfMatch if_match = read_if_match(req);
  if (if_match.bad) return *if_match.bad;
  auto hard = req.param("hardDelete");
  const bool hard_delete = hard && *hard == "true";
  return write_with_retries(req, type, id, [&] { return prepare_delete(type, id, if_match.version, hard_delete); });
}

}  // namespace healthd::fhir
