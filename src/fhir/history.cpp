// history at instance, type and system level: _count, _since, _at, keyset paging.
#include <charconv>

#include "common/time.h"
#include "fhir/bundle_writer.h"
#include "fhir/service_impl.h"
#include "json/json.h"

namespace healthd::fhir {

namespace {

const char* method_of(StoredVersion::Kind k) {
  switch (k) {
    case StoredVersion::Kind::Create: return "POST";
    case StoredVersion::Kind::Update: return "PUT";
    case StoredVersion::Kind::Delete: return "DELETE";
  }
  return "PUT";
}

const char* status_of(const StoredVersion& v) {
  if (v.kind == StoredVersion::Kind::Delete) return "204 No Content";
  return v.version == 1 ? "201 Created" : "200 OK";
}

bool parse_int(std::string_view s, int64_t& out) {
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size();
}

using bundle::Writer;
using bundle::key;
using bundle::link;
using bundle::string;

}  // namespace

Response FhirService::Impl::history(Request& req, const std::string& type, const std::string& id,
                                    HistoryFilter filter) {
  HistoryQuery q;
  q.type = type;
  q.id = id;
  q.count = settings.default_count;
  std::vector<Issue> warnings;
  bool strict = false;
  if (auto p = req.headers.get("Prefer")) strict = p->find("handling=strict") != std::string_view::npos;

  std::string kept_params;  // the query minus _cursor, for the paging links
  for (const auto& [name, value] : req.query) {
    if (name == "_count") {
      int64_t n;
      if (!parse_int(value, n) || n < 0) return error(400, "invalid", "_count must be a non-negative integer", "_count");
      if (n > settings.max_count) {
        warnings.push_back({"warning", "informational",
                            "_count " + value + " exceeds the maximum " + std::to_string(settings.max_count) +
                                "; " + std::to_string(settings.max_count) + " used",
                            {}});
        n = settings.max_count;
      }
      q.count = static_cast<int>(n);
    } else if (name == "_since") {
      auto r = parse_fhir_datetime_range(value);
      if (!r) return error(400, "invalid", "_since must be a FHIR instant, e.g. 2026-01-01T00:00:00Z", "_since");
      q.since_us = r->start_us;
    } else if (name == "_at") {
      auto r = parse_fhir_datetime_range(value);
      if (!r) return error(400, "invalid", "_at must be a FHIR date or dateTime", "_at");
      q.at_start_us = r->start_us;
      q.at_end_us = r->end_us;
    } else if (name == "_cursor") {
      int64_t n;
      if (!parse_int(value, n) || n < 1) return error(400, "invalid", "_cursor is not a valid paging cursor", "_cursor");
      q.before_seq = n;
      continue;
    } else if (name == "_total") {
      if (value != "none" && value != "estimate" && value != "accurate")
        return error(400, "invalid", "_total must be none, estimate or accurate", "_total");
      q.with_total = value == "accurate" || value == "estimate";
    } else if (name == "_format" || name == "_pretty") {
      // handled by the representation
    } else if (strict) {
      return error(400, "not-supported", "Unknown history parameter '" + name + "'", name);
    } else {
      continue;  // lenient: ignored, and left out of the links
    }
    if (!kept_params.empty()) kept_params += "&";
    kept_params += percent_encode(name) + "=" + percent_encode(value);
  }
  // Instance history is small: count it always; type/system when asked (_total).
  if (!id.empty() && q.before_seq == INT64_MAX) q.with_total = true;

  if (filter) q.with_total = false;  // a filtered page cannot say how many match in all
  HistoryPage page = store->history(q);
  // The next link continues after the last version read, kept or not.
  std::optional<int64_t> next_cursor;
  if (page.has_more && !page.entries.empty()) next_cursor = page.entries.back().seq;
  if (filter) std::erase_if(page.entries, [&](const StoredVersion& v) { return !filter(v); });

  std::string path = req.base_url;
  if (!type.empty()) path += "/" + type;
  if (!id.empty()) path += "/" + id;
  path += "/_history";
  std::string self = path + (kept_params.empty() ? "" : "?" + kept_params);
  auto with_cursor = [&](int64_t cursor) {
    return path + "?" + kept_params + (kept_params.empty() ? "" : "&") + "_cursor=" + std::to_string(cursor);
  };
  if (q.before_seq != INT64_MAX) self = with_cursor(q.before_seq);

  rapidjson::StringBuffer buf;
  Writer w(buf);
  bundle::begin(w, "history", page.total);
  key(w, "link");
  w.StartArray();
  link(w, "self", self);
  link(w, "first", path + (kept_params.empty() ? "" : "?" + kept_params));
  if (next_cursor) link(w, "next", with_cursor(*next_cursor));
  w.EndArray();
  key(w, "entry");
  w.StartArray();
  bundle::outcome_entry(w, warnings);
  for (const auto& v : page.entries) {
    w.StartObject();
    key(w, "fullUrl");
    string(w, req.base_url + "/" + v.type + "/" + v.id);
    if (!v.deleted()) {
      key(w, "resource");
      w.RawValue(v.json.data(), v.json.size(), rapidjson::kObjectType);
    }
    key(w, "request");
    w.StartObject();
    key(w, "method");
    string(w, method_of(v.kind));
    key(w, "url");
    string(w, v.kind == StoredVersion::Kind::Create ? v.type : v.type + "/" + v.id);
    w.EndObject();
    key(w, "response");
    w.StartObject();
    key(w, "status");
    string(w, status_of(v));
    key(w, "etag");
    string(w, etag_for(v.version));
    key(w, "lastModified");
    string(w, format_instant(v.last_updated_us));
    w.EndObject();
    w.EndObject();
  }
  w.EndArray();
  w.EndObject();

  Response r;
  r.status = 200;
  set_json_body(req, r, std::string(buf.GetString(), buf.GetSize()));
  return r;
}

}  // namespace healthd::fhir
