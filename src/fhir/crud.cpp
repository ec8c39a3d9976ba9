// create, read, vread, update, delete.
#include "common/ids.h"
#include "common/time.h"
#include "fhir/resource_body.h"
#include "fhir/search_request.h"
#include "fhir/service_impl.h"

namespace healthd::fhir {

Response FhirService::Impl::create(Request& req, const std::string& type) {
  if (auto bad = check_content_type(req)) return *bad;
  json::Document doc;
  if (auto bad = parse_resource(*this, req, type, doc)) return *bad;

  // Conditional create: If-None-Exist holds search parameters (strict: an unknown one is a 400).
  std::shared_ptr<SearchQuery> unless;
  if (auto cond = req.headers.get("If-None-Exist")) {
    std::string_view text = *cond;
    if (auto q = text.find('?'); q != std::string_view::npos) text = text.substr(q + 1);
    ParsedSearch parsed;
    if (auto bad = parse_search(search_context(req, true), {type}, parse_query(text), parsed)) return std::move(*bad);
    if (parsed.query.clauses.empty())
      return error(400, "invalid", "If-None-Exist names no search parameter", "If-None-Exist");
    unless = std::make_shared<SearchQuery>(std::move(parsed.query));
    unless->count = 2;
    unless->with_total = false;
    unless->sort.clear();
    SearchPage found = store->search(*unless);
    if (found.entries.size() > 1)
      return error(412, "duplicate", "If-None-Exist matches more than one " + type, "If-None-Exist");
    if (found.entries.size() == 1) return resource_response(req, 200, found.entries[0], false, return_preference(req));
  }

  // The server owns the id of a created resource; an id in the body is ignored (FHIR R4 3.1.0.6).
  std::string id = new_time_ordered_uuid();
  int64_t ts = now_us();
  StoredVersion v;
  v.type = type;
  v.id = id;
  v.version = 1;
  v.last_updated_us = ts;
  // Indexed before stamping: stamp_resource() moves the members out of doc.
  std::vector<IndexRow> index = index_rows(type, doc, req.base_url);
  v.json = stamp_resource(doc, id, 1, ts);

  WriteOp op = write_op_for(v, WriteOp::Kind::Create);
  op.index = std::move(index);
  op.unless_match = unless;
  CommitResult r = store->commit({std::move(op)});
  if (r.status == CommitResult::Status::Exists) {
    // Another request created a match between our search and our commit: that one stands.
    if (r.existing_ids.size() > 1)
      return error(412, "duplicate", "If-None-Exist matches more than one " + type, "If-None-Exist");
    if (auto cur = store->current(type, r.existing_ids[0]))
      return resource_response(req, 200, *cur, false, return_preference(req));
  }
  if (!r.ok()) return store_failure(r);
  return resource_response(req, 201, v, true, return_preference(req));
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

Response FhirService::Impl::update(Request& req, const std::string& type, const std::string& id) {
  if (auto bad = check_content_type(req)) return *bad;
  IfMatch if_match = read_if_match(req);
  if (if_match.bad) return *if_match.bad;
  Versioning policy = settings.versioning_for(type);
  if (policy == Versioning::VersionUpdate && !if_match.version)
    return error(412, "business-rule",
                 "The versioning policy of " + type + " is version-update: an update must carry If-Match");

  json::Document doc;
  if (auto bad = parse_resource(*this, req, type, doc)) return *bad;
  auto body_id = json::get_string(doc, "id");
  if (!body_id) return error(400, "required", "The resource in an update must carry its id", type + ".id");
  if (*body_id != id)
    return error(400, "invalid", "The id in the body ('" + std::string(*body_id) + "') does not match the URL ('" + id + "')",
                 type + ".id");

  ReturnPref pref = return_preference(req);
  for (int attempt = 0; attempt < kMaxWriteAttempts; ++attempt) {
    auto cur = store->current(type, id);
    int64_t cur_version = cur ? cur->version : 0;
    bool exists = cur && !cur->deleted();
    if (if_match.version && (!exists || *if_match.version != cur_version))
      return error(412, "conflict",
                   "If-Match " + etag_for(*if_match.version) + " does not match the current version " +
                       (exists ? etag_for(cur_version) : std::string("(none)")) + " of " + type + "/" + id);

    int64_t ts = next_last_updated(cur);
    json::Document copy;
    copy.CopyFrom(doc, copy.GetAllocator());
    StoredVersion v;
    v.type = type;
    v.id = id;
    v.version = cur_version + 1;
    v.last_updated_us = ts;
    v.kind = StoredVersion::Kind::Update;
    std::vector<IndexRow> index = index_rows(type, copy, req.base_url);  // before stamping (it moves)
    v.json = stamp_resource(copy, id, v.version, ts);

    WriteOp op = write_op_for(v, WriteOp::Kind::Update, policy != Versioning::NoVersion);
    op.index = std::move(index);
    CommitResult r = store->commit({std::move(op)});
    if (r.ok()) return resource_response(req, exists ? 200 : 201, v, true, pref);
    if (r.status != CommitResult::Status::Conflict) return store_failure(r);
    if (if_match.version)
      return error(412, "conflict", type + "/" + id + " was changed concurrently; If-Match no longer matches");
  }
  return conflict_exhausted(type, id);
}

Response FhirService::Impl::remove(Request& req, const std::string& type, const std::string& id) {
  IfMatch if_match = read_if_match(req);
  if (if_match.bad) return *if_match.bad;
  auto hard = req.param("hardDelete");
  bool hard_delete = hard && *hard == "true";
  Versioning policy = settings.versioning_for(type);
  if (policy == Versioning::VersionUpdate && !if_match.version && !hard_delete)
    return error(412, "business-rule",
                 "The versioning policy of " + type + " is version-update: a delete must carry If-Match");

  for (int attempt = 0; attempt < kMaxWriteAttempts; ++attempt) {
    auto cur = store->current(type, id);
    if (if_match.version && (!cur || cur->deleted() || cur->version != *if_match.version))
      return error(412, "conflict", "If-Match " + etag_for(*if_match.version) + " does not match the current version of " +
                                        type + "/" + id);
    Response done;
    done.status = 204;
    if (hard_delete) {
      if (!cur) return done;  // nothing stored: deleting is idempotent
      WriteOp op;
      op.kind = WriteOp::Kind::Purge;
      op.type = type;
      op.id = id;
      CommitResult r = store->commit({std::move(op)});
      if (r.ok()) return done;
      if (r.status != CommitResult::Status::Conflict) return store_failure(r);
      continue;
    }
    if (!cur || cur->deleted()) return done;  // already gone: 204, no new version

    StoredVersion marker;  // a deletion is a version without a body
    marker.type = type;
    marker.id = id;
    marker.version = cur->version + 1;
    marker.last_updated_us = next_last_updated(cur);
    CommitResult r = store->commit({write_op_for(marker, WriteOp::Kind::Delete, policy != Versioning::NoVersion)});
    if (r.ok()) {
      done.headers.set("ETag", etag_for(cur->version + 1));
      return done;
    }
    if (r.status != CommitResult::Status::Conflict) return store_failure(r);
  }
  return conflict_exhausted(type, id);
}

}  // namespace healthd::fhir
