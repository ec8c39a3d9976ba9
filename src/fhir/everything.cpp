// Patient/[id]/$everything and Patient/$everything: the patient (each patient, at type level), then
// every resource in its compartment, type by type in name order, plus the practitioners,
// organizations, locations, medications and devices the page's resources refer to (search.mode
// include). Parameters: start/end (care dates: the type's `date` parameter, when it has one),
// _since (lastUpdated), _type, _count. Paged without a snapshot: the cursor names the patient,
// the compartment type and the last key read, so every page is one keyset step.
#include <charconv>
#include <set>

#include "fhir/bundle_writer.h"
#include "fhir/references.h"
#include "fhir/search_request.h"
#include "fhir/service_impl.h"
#include "fhir/smart_access.h"
#include "json/json.h"
#include "search/search_parameters.h"

namespace healthd::fhir {

namespace {

// Types outside the compartment that $everything still returns when referenced.
const std::set<std::string, std::less<>> kReferencedTypes = {"Device", "Location", "Medication", "Organization",
                                                             "Practitioner", "PractitionerRole"};

// Where a page starts: the patient (type level: the Patient search key before it), the position in
// the type list (0 = the patient itself) and the key after which that type's resources continue.
struct Cursor {
  int64_t patient = 0;
  size_t type = 0;
  int64_t after = 0;
};

std::string cursor_text(const Cursor& c) {
  return std::to_string(c.patient) + "." + std::to_string(c.type) + "." + std::to_string(c.after);
}

std::optional<Cursor> parse_cursor(std::string_view s) {
  Cursor c;
  auto number = [&](auto& out) {
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    if (ec != std::errc() || p == s.data()) return false;
    s.remove_prefix(static_cast<size_t>(p - s.data()));
    return true;
  };
  auto dot = [&] {
    if (s.empty() || s[0] != '.') return false;
    s.remove_prefix(1);
    return true;
  };
  if (!number(c.patient) || !dot() || !number(c.type) || !dot() || !number(c.after) || !s.empty()) return std::nullopt;
  return c;
}

struct EverythingParams {
  std::vector<std::pair<std::string, std::string>> pairs;  // as received (query, or Parameters body)
  std::optional<std::string> start, end, since;
  std::set<std::string, std::less<>> types;  // _type; empty = all
  std::optional<int> count;
  Cursor cursor;
};

// The parameters from the query string and, for POST, a Parameters body.
std::optional<Response> read_params(const Request& req, bool strict, EverythingParams& out,
                                    std::vector<Issue>& warnings) {
  out.pairs = req.query;
  if (req.method == "POST" && !req.body.empty()) {
    json::Document doc;
    if (!json::parse(req.body, doc) || !doc.IsObject() || json::get_string(doc, "resourceType") != "Parameters")
      return error(400, "invalid", "$everything takes a Parameters resource in a POST body");
    if (doc.HasMember("parameter") && doc["parameter"].IsArray())
      for (const auto& p : doc["parameter"].GetArray()) {
        std::string name(json::get_string(p, "name").value_or(""));
        for (const char* k : {"valueDate", "valueDateTime", "valueInstant", "valueString", "valueCode", "valueUri"})
          if (p.HasMember(k) && p[k].IsString()) out.pairs.emplace_back(name, p[k].GetString());
        if (p.HasMember("valueInteger") && p["valueInteger"].IsInt())
          out.pairs.emplace_back(name, std::to_string(p["valueInteger"].GetInt()));
      }
  }
  for (const auto& [k, v] : out.pairs) {
    if (k == "start") {
      out.start = v;
    } else if (k == "end") {
      out.end = v;
    } else if (k == "_since") {
      out.since = v;
    } else if (k == "_type") {
      for (size_t at = 0; at <= v.size();) {
        size_t comma = v.find(',', at);
        if (comma == std::string::npos) comma = v.size();
        if (comma > at) out.types.insert(v.substr(at, comma - at));
        at = comma + 1;
      }
    } else if (k == "_count") {
      int n = 0;
      auto [p, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
      if (ec != std::errc() || p != v.data() + v.size() || n < 1)
        return error(400, "invalid", "_count must be a positive integer, not '" + v + "'");
      out.count = n;
    } else if (k == "_cursor") {
      auto c = parse_cursor(v);
      if (!c) return error(400, "invalid", "Malformed _cursor '" + v + "'");
      out.cursor = *c;
    } else if (k == "_format" || k == "_pretty") {
    } else if (strict) {
      return error(400, "not-supported", "$everything does not take the parameter '" + k + "'");
    } else {
      warnings.push_back(Issue{"warning", "not-supported", "Parameter '" + k + "' ignored", {k}});
    }
  }
  return std::nullopt;
}

}  // namespace

Response FhirService::Impl::everything(Request& req, const std::string& patient_id, const SmartAccess& smart) {
  const SearchContext strict_ctx = search_context(req, true);
  const std::shared_ptr<const search::SearchParameterRegistry> params = strict_ctx.params;
  std::vector<Issue> warnings;
  EverythingParams ep;
  if (auto bad = read_params(req, search_context(req, false).strict, ep, warnings)) return std::move(*bad);
  for (const auto& t : ep.types)
    if (!definitions->is_resource_type(t)) return error(400, "invalid", "_type names an unknown type '" + t + "'");
  int count = ep.count.value_or(settings.default_count);
  if (count > settings.max_count) {
    warnings.push_back(Issue{"warning", "too-costly",
                             "_count capped at " + std::to_string(settings.max_count), {"_count"}});
    count = settings.max_count;
  }

  // The type list: the patient itself, then every other type of the compartment (narrowed by _type).
  std::vector<std::string> types = {"Patient"};
  if (compartment)
    for (auto& t : compartment->types())
      if (t != "Patient") types.push_back(std::move(t));
  auto wanted = [&](const std::string& t) { return ep.types.empty() || ep.types.contains(t); };
  if (ep.cursor.type >= types.size()) return error(400, "invalid", "Malformed _cursor");

  // Per type: start/end on its `date` parameter (when it has one), _since on _lastUpdated. Parsed as
  // a search so a malformed date is a 400. The patient's own query is narrowed to it by _id.
  std::vector<std::optional<SearchQuery>> queries(types.size());
  for (size_t i = 0; i < types.size(); ++i) {
    if (!wanted(types[i])) continue;
    std::vector<std::pair<std::string, std::string>> p;
    const search::SearchParam* date = params ? params->find(types[i], "date") : nullptr;
    if (date && date->kind == search::ParamType::Date && i > 0) {
      if (ep.start) p.emplace_back("date", "ge" + *ep.start);
      if (ep.end) p.emplace_back("date", "le" + *ep.end);
    }
    if (ep.since) p.emplace_back("_lastUpdated", "ge" + *ep.since);
    ParsedSearch parsed;
    if (auto bad = parse_search(strict_ctx, {types[i]}, p, parsed)) return std::move(*bad);
    queries[i] = std::move(parsed.query);
  }

  const bool filtered = smart.needs_resource_check();
  auto visible = [&](const StoredVersion& v, auth::Interaction how) {
    if (v.deleted()) return false;
    if (smart.active() && smart.check(v.type, how)) return false;
    return !filtered || smart.permits_json(v.json, how);
  };

  std::vector<StoredVersion> matches;
  std::optional<Cursor> next;
  Cursor at = ep.cursor;
  while (true) {
    // The patient of this step; at type level also the search key after it, when more follow.
    std::optional<StoredVersion> patient;
    std::optional<int64_t> next_patient;
    if (!patient_id.empty()) {
      patient = store->current("Patient", patient_id);
      if (!patient || patient->deleted()) return error(404, "not-found", "Patient/" + patient_id + " is not known");
    } else {
      SearchQuery pq;
      pq.type = "Patient";
      pq.count = 1;
      pq.after = at.patient;
      SearchPage pp = store->search(pq);
      if (pp.entries.empty()) break;
      patient = std::move(pp.entries[0]);
      if (pp.has_more) next_patient = pp.next;
    }
    // A patient the caller may not read contributes nothing (type level under patient/ scopes).
    for (size_t t = at.type; visible(*patient, auth::Interaction::Read) && t < types.size(); ++t) {
      const int room = count - static_cast<int>(matches.size());
      if (room <= 0) {
        next = Cursor{at.patient, t, 0};
        break;
      }
      if (!queries[t]) continue;
      auto clause = compartment_clause(types[t], patient->id);
      if (!clause) continue;
      SearchQuery q = *queries[t];
      q.clauses.push_back(std::move(*clause));
      q.count = room;
      q.after = t == at.type ? at.after : 0;
      SearchPage page = store->search(q);
      for (auto& v : page.entries)
        if (visible(v, auth::Interaction::Search)) matches.push_back(std::move(v));
      if (page.has_more) {
        next = Cursor{at.patient, t, page.next};
        break;
      }
    }
    if (next || !next_patient) break;
    at = Cursor{*next_patient, 0, 0};
    if (static_cast<int>(matches.size()) >= count) {
      next = at;
      break;
    }
  }

  // What the page's resources refer to, outside the compartment.
  std::vector<StoredVersion> included;
  std::set<std::string, std::less<>> have;
  for (const auto& v : matches) have.insert(v.type + "/" + v.id);
  if (params)
    for (const auto& v : matches) {
      json::Document doc;
      if (!json::parse(v.json, doc)) continue;
      for (auto& [t, id] : local_references(*params, *definitions, v.type, doc, "*", req.base_url)) {
        if (!kReferencedTypes.contains(t) || !wanted(t) || !have.insert(t + "/" + id).second) continue;
        if (auto cur = store->current(t, id); cur && visible(*cur, auth::Interaction::Read))
          included.push_back(std::move(*cur));
      }
    }

  // Links keep the request's parameters (but the cursor) and add the next cursor.
  std::string kept;
  for (const auto& [k, v] : ep.pairs)
    if (k != "_cursor") kept += (kept.empty() ? "" : "&") + percent_encode(k) + "=" + percent_encode(v);
  const std::string path = req.base_url + "/Patient" + (patient_id.empty() ? "" : "/" + patient_id) + "/$everything";
  const std::string first = path + (kept.empty() ? "" : "?" + kept);
  auto page_url = [&](const Cursor& c) { return path + "?" + kept + (kept.empty() ? "" : "&") + "_cursor=" + cursor_text(c); };
  const bool at_start = ep.cursor.patient == 0 && ep.cursor.type == 0 && ep.cursor.after == 0;

  rapidjson::StringBuffer buf;
  bundle::Writer w(buf);
  bundle::begin(w, "searchset", std::nullopt);
  bundle::key(w, "link");
  w.StartArray();
  bundle::link(w, "self", at_start ? first : page_url(ep.cursor));
  bundle::link(w, "first", first);
  if (next) bundle::link(w, "next", page_url(*next));
  w.EndArray();
  bundle::key(w, "entry");
  w.StartArray();
  bundle::outcome_entry(w, warnings);
  auto entry = [&](const StoredVersion& v, const char* mode) {
    w.StartObject();
    bundle::key(w, "fullUrl");
    bundle::string(w, req.base_url + "/" + v.type + "/" + v.id);
    bundle::key(w, "resource");
    w.RawValue(v.json.data(), v.json.size(), rapidjson::kObjectType);
    bundle::key(w, "search");
    w.StartObject();
    bundle::key(w, "mode");
    bundle::string(w, mode);
    w.EndObject();
    w.EndObject();
  };
  for (const auto& v : matches) entry(v, "match");
  for (const auto& v : included) entry(v, "include");
  w.EndArray();
  w.EndObject();

  Response r;
  r.status = 200;
  set_json_body(req, r, std::string(buf.GetString(), buf.GetSize()));
  return r;
}

}  // namespace healthd::fhir
