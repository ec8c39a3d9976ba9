// Extended query tags: POST/GET .../extendedquerytags, GET/DELETE/PATCH .../extendedquerytags/{tag},
// GET .../extendedquerytags/{tag}/errors, and GET .../operations/{id} (the re-index operation an
// add starts). JSON as the cloud service writes it: camelCase members, enum values in PascalCase
// for tags and camelCase for operations.
#include <algorithm>
#include <cctype>
#include <charconv>

#include "common/ids.h"
#include "common/time.h"
#include "dicom/reindexer.h"
#include "dicom/service_impl.h"
#include "json/json.h"

namespace healthd::dicom {

namespace {

constexpr int kDefaultLimit = 100;
constexpr int kMaxLimit = 200;

Response json_response(int status, const json::Value& v) {
  Response r;
  r.status = status;
  r.headers.set("Content-Type", "application/json; charset=utf-8");
  r.body = json::to_string(v);
  return r;
}

std::string tag_href(const Target& t, const std::string& path) { return t.base + "/extendedquerytags/" + path; }
std::string operation_href(const Target& t, const std::string& id) { return t.base + "/operations/" + id; }

json::Value reference_json(const std::string& id, const std::string& href, json::Allocator& a) {
  json::Value o(rapidjson::kObjectType);
  o.AddMember("id", json::str(id, a), a);
  o.AddMember("href", json::str(href, a), a);
  return o;
}

json::Value tag_json(const ExtendedQueryTagEntry& e, const Target& t, json::Allocator& a) {
  json::Value o(rapidjson::kObjectType);
  o.AddMember("path", json::str(e.path, a), a);
  o.AddMember("vr", json::str(e.vr, a), a);
  if (!e.private_creator.empty()) o.AddMember("privateCreator", json::str(e.private_creator, a), a);
  o.AddMember("level", rapidjson::StringRef(level_label(e.level)), a);
  o.AddMember("status", rapidjson::StringRef(tag_status_name(e.status)), a);
  o.AddMember("queryStatus", rapidjson::StringRef(query_status_name(e.query_status)), a);
  if (e.error_count > 0) {
    json::Value errors(rapidjson::kObjectType);
    errors.AddMember("count", json::Value(e.error_count), a);
    errors.AddMember("href", json::str(tag_href(t, e.path) + "/errors", a), a);
    o.AddMember("errors", errors, a);
  }
  if (e.status == TagStatus::Adding && !e.operation_id.empty())
    o.AddMember("operation", reference_json(e.operation_id, operation_href(t, e.operation_id), a), a);
  return o;
}

bool parse_int(std::string_view s, int& out) {
  auto r = std::from_chars(s.data(), s.data() + s.size(), out);
  return !s.empty() && r.ec == std::errc() && r.ptr == s.data() + s.size();
}

// limit (1-200, default 100) and offset (>= 0) of a list; an error message or "".
std::string read_page(const Request& req, int& limit, int& offset) {
  limit = kDefaultLimit;
  offset = 0;
  if (auto v = req.param("limit"); v && (!parse_int(*v, limit) || limit < 1 || limit > kMaxLimit))
    return "limit: must be an integer from 1 to " + std::to_string(kMaxLimit) + ", not '" + std::string(*v) + "'";
  if (auto v = req.param("offset"); v && (!parse_int(*v, offset) || offset < 0))
    return "offset: must be a non-negative integer, not '" + std::string(*v) + "'";
  return "";
}

bool is_json(const Request& req) {
  auto ct = req.headers.get("Content-Type");
  if (!ct) return true;  // lenient: curl -d without a type
  const std::string_view v = *ct;
  return v.starts_with("application/json") || v.starts_with("application/x-www-form-urlencoded");
}

// The tag named by segments[2]: 400 when the path is no tag, 404 when not an extended query tag.
std::optional<ExtendedQueryTagEntry> find_tag(Store& store, const Request& req, Response& error) {
  const std::string& path = req.segments.at(2);
  auto tag = parse_tag_path(path);
  if (!tag) {
    error = problem(400, "'" + path + "' is not a tag path: eight hex digits (00101010) or a keyword (PatientAge)");
    return std::nullopt;
  }
  for (auto& e : store.extended_query_tags())
    if (e.tag == *tag) return e;
  error = problem(404, "Extended query tag " + tag_paren(*tag) + " not found");
  return std::nullopt;
}

}  // namespace

Response DicomService::Impl::extended_query_tags(const Request& req, const Target& t) {
  const size_t n = req.segments.size();  // v2, extendedquerytags[, {tag}[, errors]]
  if (n == 2 && req.method == "POST") return add_extended_query_tags(req, t);

  Response error;
  if (n == 2) {  // GET: the list
    int limit, offset;
    if (auto why = read_page(req, limit, offset); !why.empty()) return problem(400, why);
    json::Document doc(rapidjson::kArrayType);
    const auto all = store->extended_query_tags();
    for (size_t i = static_cast<size_t>(offset); i < all.size() && i < static_cast<size_t>(offset) + limit; ++i)
      doc.PushBack(tag_json(all[i], t, doc.GetAllocator()), doc.GetAllocator());
    return json_response(200, doc);
  }
  auto tag = find_tag(*store, req, error);
  if (!tag) return error;
  if (n == 4) {  // GET .../errors
    int limit, offset;
    if (auto why = read_page(req, limit, offset); !why.empty()) return problem(400, why);
    json::Document doc(rapidjson::kArrayType);
    auto& a = doc.GetAllocator();
    for (const auto& e : store->extended_query_tag_errors(tag->key, limit, offset)) {
      json::Value o(rapidjson::kObjectType);
      o.AddMember("studyInstanceUid", json::str(e.study_uid, a), a);
      o.AddMember("seriesInstanceUid", json::str(e.series_uid, a), a);
      o.AddMember("sopInstanceUid", json::str(e.sop_uid, a), a);
      o.AddMember("createdTime", json::str(format_instant(e.created_us), a), a);
      o.AddMember("errorMessage", json::str(e.message, a), a);
      doc.PushBack(o, a);
    }
    return json_response(200, doc);
  }
  if (req.method == "DELETE") {
    if (!store->delete_extended_query_tag(tag->key)) return problem(404, "Extended query tag " + tag->path + " not found");
    Response r;
    r.status = 204;
    return r;
  }
  if (req.method == "PATCH") {
    if (!is_json(req)) return problem(415, "PATCH of an extended query tag takes application/json: {\"QueryStatus\": \"Enabled\"}");
    json::Document body;
    std::string why;
    if (!json::parse(req.body, body, &why)) return problem(400, "The body is not valid JSON: " + why);
    std::optional<QueryStatus> status;
    if (body.IsObject()) {
      for (const auto& m : body.GetObject()) {
        std::string name(m.name.GetString(), m.name.GetStringLength());
        for (char& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        if (name != "querystatus")
          return problem(400, "Unknown member '" + std::string(m.name.GetString()) + "': only QueryStatus can be updated");
        const std::string_view v = m.value.IsString() ? std::string_view(m.value.GetString(), m.value.GetStringLength())
                                                      : std::string_view();
        if (v == "Enabled" || v == "enabled") status = QueryStatus::Enabled;
        else if (v == "Disabled" || v == "disabled") status = QueryStatus::Disabled;
        else return problem(400, "QueryStatus must be \"Enabled\" or \"Disabled\"");
      }
    }
    if (!status) return problem(400, "The body must be an object {\"QueryStatus\": \"Enabled\" | \"Disabled\"}");
    if (!store->set_query_status(tag->key, *status)) return problem(404, "Extended query tag " + tag->path + " not found");
    tag->query_status = *status;
    json::Document doc;
    json::Value o = tag_json(*tag, t, doc.GetAllocator());
    return json_response(200, o);
  }
  json::Document doc;
  json::Value o = tag_json(*tag, t, doc.GetAllocator());
  return json_response(200, o);
}

Response DicomService::Impl::add_extended_query_tags(const Request& req, const Target& t) {
  if (!is_json(req)) return problem(415, "Extended query tags are added as application/json");
  std::vector<NewExtendedQueryTag> tags;
  std::string error;
  if (!parse_add_extended_query_tags(req.body, tags, &error)) return problem(400, error);
  Operation op;
  op.id = new_uuid();
  op.id.erase(std::remove(op.id.begin(), op.id.end(), '-'), op.id.end());
  op.created_us = op.updated_us = now_us();
  AddTagsResult added = store->add_extended_query_tags(tags, op, kMaxExtendedQueryTags);
  if (added.status == AddTagsResult::Status::Conflict) return problem(409, added.message);
  if (added.status == AddTagsResult::Status::TooMany) return problem(400, added.message);
  if (reindexer) reindexer->wake();
  json::Document doc;
  json::Value o = reference_json(op.id, operation_href(t, op.id), doc.GetAllocator());
  Response r = json_response(202, o);
  r.headers.set("Location", operation_href(t, op.id));
  return r;
}

Response DicomService::Impl::operation(const Request& req, const Target& t) {
  const std::string& id = req.segments.at(2);
  auto op = store->operation(id);
  if (!op) return problem(404, "Operation '" + id + "' not found");
  json::Document doc(rapidjson::kObjectType);
  auto& a = doc.GetAllocator();
  doc.AddMember("operationId", json::str(op->id, a), a);
  doc.AddMember("type", json::str(op->type, a), a);
  doc.AddMember("createdTime", json::str(format_instant(op->created_us), a), a);
  doc.AddMember("lastUpdatedTime", json::str(format_instant(op->updated_us), a), a);
  doc.AddMember("status", rapidjson::StringRef(operation_status_name(op->status)), a);
  doc.AddMember("percentComplete", op->percent_complete, a);
  json::Value resources(rapidjson::kArrayType);
  for (const auto& path : op->tag_paths) resources.PushBack(json::str(tag_href(t, path), a), a);
  doc.AddMember("resources", resources, a);
  if (!op->error.empty()) doc.AddMember("error", json::str(op->error, a), a);
  const bool done = op->status == OperationStatus::Completed || op->status == OperationStatus::Failed;
  return json_response(done ? 200 : 202, doc);
}

}  // namespace healthd::dicom
