// DELETE of a study / series / instance, and the change feed (v1 by sequence, v2 by time).
#include <charconv>

#include "common/time.h"
#include "dicom/service_impl.h"
#include "json/json.h"

namespace healthd::dicom {

namespace {

const char* action_name(ChangeAction a) {
  switch (a) {
    case ChangeAction::Create: return "create";
    case ChangeAction::Update: return "update";
    case ChangeAction::Delete: return "delete";
  }
  return "create";
}

const char* state_name(ChangeState s) {
  switch (s) {
    case ChangeState::Current: return "current";
    case ChangeState::Replaced: return "replaced";
    case ChangeState::Deleted: return "deleted";
  }
  return "current";
}

json::Value entry_json(const ChangeEntry& e, const Target& t, json::Allocator& a) {
  json::Value o(rapidjson::kObjectType);
  o.AddMember("Sequence", json::Value(e.sequence), a);
  o.AddMember("StudyInstanceUid", json::str(e.study_uid, a), a);
  o.AddMember("SeriesInstanceUid", json::str(e.series_uid, a), a);
  o.AddMember("SopInstanceUid", json::str(e.sop_uid, a), a);
  o.AddMember("Action", rapidjson::StringRef(action_name(e.action)), a);
  o.AddMember("Timestamp", json::str(format_instant(e.timestamp_us), a), a);
  o.AddMember("State", rapidjson::StringRef(state_name(e.state)), a);
  if (e.metadata_json) {
    json::Document md;
    if (json::parse(with_bulk_urls(*e.metadata_json, instance_url(t.base, e.study_uid, e.series_uid, e.sop_uid)), md))
      o.AddMember("Metadata", json::Value(md, a), a);
  }
  return o;
}

bool parse_int64(std::string_view s, int64_t& out) {
  auto r = std::from_chars(s.data(), s.data() + s.size(), out);
  return !s.empty() && r.ec == std::errc() && r.ptr == s.data() + s.size();
}

}  // namespace

Response DicomService::Impl::remove(const Request& req, const Target& t) {
  if (store->remove(t.scope) == 0) return problem(404, not_found_message(t.scope));
  Response r;
  r.status = 204;
  return r;
}

Response DicomService::Impl::change_feed(const Request& req, const Target& t) {
  ChangeQuery q;
  const bool v2 = t.version == ApiVersion::kV2;
  const int max_limit = v2 ? 200 : 100;
  q.limit = v2 ? 100 : 10;
  q.include_metadata = true;
  for (const auto& [k, v] : req.query) {
    int64_t n = 0;
    if (k == "offset") {
      if (!parse_int64(v, n) || n < 0) return problem(400, "offset: must be a non-negative integer, not '" + v + "'");
      if (v2) q.offset = n;
      else q.after_sequence = n;
    } else if (k == "limit") {
      if (!parse_int64(v, n) || n < 1 || n > max_limit)
        return problem(400, "limit: must be an integer from 1 to " + std::to_string(max_limit) + ", not '" + v + "'");
      q.limit = static_cast<int>(n);
    } else if (k == "includemetadata" || k == "includeMetadata") {
      if (v != "true" && v != "false") return problem(400, "includemetadata: must be true or false");
      q.include_metadata = v == "true";
    } else if (v2 && (k == "startTime" || k == "endTime")) {
      auto range = parse_fhir_datetime_range(v);
      if (!range) return problem(400, k + ": '" + v + "' is not a date-time (e.g. 2024-05-01T10:00:00Z)");
      (k == "startTime" ? q.start_us : q.end_us) = range->start_us;
    } else {
      return problem(400, "unknown query parameter '" + k + "' (the change feed takes offset, limit, includemetadata" +
                              std::string(v2 ? ", startTime, endTime)" : ")"));
    }
  }
  json::Document doc(rapidjson::kArrayType);
  auto& a = doc.GetAllocator();
  for (const ChangeEntry& e : store->changes(q)) doc.PushBack(entry_json(e, t, a), a);
  Response r;
  r.headers.set("Content-Type", "application/json");
  r.body = json::to_string(doc);
  return r;
}

Response DicomService::Impl::change_feed_latest(const Request& req, const Target& t) {
  json::Document doc(rapidjson::kObjectType);
  auto& a = doc.GetAllocator();
  if (auto e = store->latest_change()) {
    e->metadata_json.reset();
    json::Value v = entry_json(*e, t, a);
    doc.CopyFrom(v, a);
  } else {
    doc.AddMember("Sequence", 0, a);
  }
  Response r;
  r.headers.set("Content-Type", "application/json");
  r.body = json::to_string(doc);
  return r;
}

}  // namespace healthd::dicom
