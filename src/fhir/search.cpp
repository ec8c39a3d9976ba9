// FHIR search: type-level (GET [type]?..., POST [type]/_search), system-level ([base]?_type=...)
// and compartment ([base]/Patient/[id]/[type]?...). The parameters become a store query
// (search_request.cpp); the page of matches is completed with _include/_revinclude and written
// as a searchset Bundle. Also the index rows each write stores (index_rows below).
#include <cstring>
#include <set>

#include "fhir/search_request.h"
#include "fhir/bundle_writer.h"
#include "fhir/references.h"
#include "fhir/search_contained.h"
#include "fhir/search_cursor.h"
#include "fhir/service_impl.h"
#include "fhir/smart_access.h"
#include "json/json.h"
#include "search/index_values.h"
#include "search/search_parameters.h"
#include "search/terminology.h"

namespace healthd::fhir {

namespace {

using bundle::Writer;
using bundle::key;
using bundle::link;
using bundle::string;

// At most this many resources are added by _include/_revinclude to one page.
constexpr size_t kMaxIncluded = 1000;

// A stored resource's JSON as the value after the last key: the Writer places the separator and
// the bytes are appended in one copy (Writer::RawValue copies them one by one, which showed in
// profiles of search pages).
void raw_object(Writer& w, rapidjson::StringBuffer& buf, std::string_view json) {
  w.RawValue(json.data(), 0, rapidjson::kObjectType);
  std::memcpy(buf.Push(json.size()), json.data(), json.size());
}

// The second component's part of a two-component composite's rows.
std::vector<IndexRow> second_rows(const search::IndexValues& b) {
  std::vector<IndexRow> seconds;
  for (const auto& t : b.tokens) {
    IndexRow& r = seconds.emplace_back();
    r.second = IndexRow::Kind::Token;
    r.unit = t.code;
    r.system2 = t.system;
  }
  for (const auto& str : b.strings) {
    IndexRow& r = seconds.emplace_back();
    r.second = IndexRow::Kind::String;
    r.unit = str.normalized;
  }
  for (const auto& q : b.quantities) {
    if (q.canonical) continue;  // composites compare quantities in the unit given
    IndexRow& r = seconds.emplace_back();
    r.second = IndexRow::Kind::Quantity;
    r.low = q.is_range ? q.low : q.value;
    r.high = q.is_range ? q.high : q.value;
    r.unit = q.code.empty() ? q.unit : q.code;
    r.system2 = q.system;
  }
  for (const auto& n : b.numbers) {
    IndexRow& r = seconds.emplace_back();
    r.second = IndexRow::Kind::Number;
    r.low = n.is_range ? n.low : n.value;
    r.high = n.is_range ? n.high : n.value;
  }
  for (const auto& d : b.dates) {
    IndexRow& r = seconds.emplace_back();
    r.second = IndexRow::Kind::Date;
    r.low_us = d.start_us;
    r.high_us = d.end_us;
  }
  return seconds;
}

// Three components (a token, then two numbers: MolecularSequence coordinates): the second's value
// in low and the third's in high of each row (numbers are indexed as points).
std::vector<IndexRow> coordinate_seconds(const search::IndexValues& starts, const search::IndexValues& ends) {
  std::vector<IndexRow> seconds;
  for (const auto& start : starts.numbers)
    for (const auto& end : ends.numbers) {
      IndexRow& r = seconds.emplace_back();
      r.second = IndexRow::Kind::Number;
      r.low = start.is_range ? start.low : start.value;
      r.high = end.is_range ? end.high : end.value;
    }
  return seconds;
}

// A composite's rows for one element: every pair of its first component's values and the rest's.
void composite_rows(const search::SearchParam& sp, const std::vector<search::IndexValues>& tuple,
                    const std::string& base_url, std::vector<IndexRow>& rows) {
  if (tuple.size() != 2 && tuple.size() != 3) return;
  std::vector<std::pair<std::string, std::string>> firsts;  // (text, system)
  for (const auto& t : tuple[0].tokens) firsts.emplace_back(t.code, t.system);
  for (const auto& ref : tuple[0].references) {
    auto local = ref.local_key(base_url);
    firsts.emplace_back(local ? *local : ref.key(), "");
  }
  std::vector<IndexRow> seconds = tuple.size() == 3 ? coordinate_seconds(tuple[1], tuple[2]) : second_rows(tuple[1]);
  for (const auto& [text, system] : firsts)
    for (const IndexRow& second : seconds) {
      IndexRow& r = rows.emplace_back(second);
      r.param = sp.code;
      r.kind = IndexRow::Kind::Composite;
      r.text = text;
      r.system = system;
    }
}

}  // namespace

std::vector<IndexRow> FhirService::Impl::index_rows(const std::string& type, const json::Value& resource,
                                                    const std::string& base_url) const {
  std::vector<IndexRow> rows;
  const auto params = search_params.current();
  if (!params) return rows;
  const auto plan = index_plans.of(params, type);
  rows.reserve(plan->size());  // fewer rows than parameters, mostly (Synthea: ~13 rows a resource)
  fhirpath::EvalContext ctx;
  ctx.definitions = definitions.get();
  ctx.resource = &resource;
  fhirpath::ResourceEvaluator evaluator(resource, ctx);  // one for every parameter
  for (const search::SearchParam* sp : *plan) {
    search::IndexValues values = search::extract(*sp, evaluator);
    // An expression that fails on this resource indexes what it could (usually nothing); the
    // write itself is never refused for it.
    auto row = [&](IndexRow::Kind kind) -> IndexRow& {
      IndexRow& r = rows.emplace_back();
      r.param = sp->code;
      r.kind = kind;
      return r;
    };
    for (const auto& s : values.strings) {
      IndexRow& r = row(IndexRow::Kind::String);
      r.text = s.normalized;
      r.system = s.original;
    }
    for (const auto& t : values.tokens) {
      IndexRow& r = row(IndexRow::Kind::Token);
      r.text = t.code;
      r.system = t.system;
    }
    // Modifier indexes live under "<code>:<modifier>": display texts (:text), identifier types
    // (:of-type, code "<type code>|<value>"), logical references (:identifier).
    for (const auto& text : values.texts) {
      IndexRow& r = row(IndexRow::Kind::String);
      r.param = sp->code + ":text";
      r.text = text;
      r.system = text;
    }
    for (const auto& o : values.of_type) {
      IndexRow& r = row(IndexRow::Kind::Token);
      r.param = sp->code + ":of-type";
      r.text = o.type_code + "|" + o.value;
      r.system = o.type_system;
    }
    for (const auto& ref : values.references) {
      IndexRow& r = row(IndexRow::Kind::Reference);
      auto local = ref.local_key(base_url);
      r.text = local ? *local : ref.key();
      if (!ref.identifier_value.empty()) {
        IndexRow& id = row(IndexRow::Kind::Token);
        id.param = sp->code + ":identifier";
        id.text = ref.identifier_value;
        id.system = ref.identifier_system;
      }
    }
    for (const auto& d : values.dates) {
      IndexRow& r = row(IndexRow::Kind::Date);
      r.low_us = d.start_us;
      r.high_us = d.end_us;
    }
    for (const auto& n : values.numbers) {
      IndexRow& r = row(IndexRow::Kind::Number);
      r.low = n.is_range ? n.low : n.value;
      r.high = n.is_range ? n.high : n.value;
    }
    for (const auto& q : values.quantities) {
      IndexRow& r = row(IndexRow::Kind::Quantity);
      if (q.canonical) r.param = sp->code + ":canonical";  // UCUM quantities in their canonical unit
      r.low = q.is_range ? q.low : q.value;
      r.high = q.is_range ? q.high : q.value;
      r.system = q.system;
      r.unit = q.code.empty() ? q.unit : q.code;
    }
    for (const auto& u : values.uris) {
      IndexRow& r = row(IndexRow::Kind::Uri);
      r.text = u;
    }
    for (const auto& tuple : values.composites) composite_rows(*sp, tuple, base_url, rows);
  }
  // Contained resources (_contained=true|both): their values are rows of the container, named
  // "<contained type>#<code>", plus "<contained type>#_id" (the local id) for each one.
  const auto contained = resource.FindMember("contained");
  if (contained == resource.MemberEnd() || !contained->value.IsArray()) return rows;
  for (const auto& inner : contained->value.GetArray()) {
    if (!inner.IsObject()) continue;
    const auto rt = inner.FindMember("resourceType");
    if (rt == inner.MemberEnd() || !rt->value.IsString() || !definitions->is_resource_type(rt->value.GetString()))
      continue;
    const std::string inner_type = rt->value.GetString();
    for (IndexRow& r : index_rows(inner_type, inner, base_url)) {
      if (r.param.find('#') != std::string::npos) continue;  // contained resources do not nest
      r.param = contained_param(inner_type, r.param);
      rows.push_back(std::move(r));
    }
    IndexRow& id = rows.emplace_back();
    id.param = contained_param(inner_type, "_id");
    id.kind = IndexRow::Kind::Token;
    const auto local = inner.FindMember("id");
    if (local != inner.MemberEnd() && local->value.IsString()) id.text = local->value.GetString();
  }
  return rows;
}


std::optional<SearchClause> FhirService::Impl::compartment_clause(const std::string& type,
                                                                const std::string& patient_id) const {
  SearchClause c;
  SearchPredicate p;
  p.kind = SearchPredicate::Kind::Text;
  if (type == "Patient") {
    // The Patient itself is in its compartment: _id instead of a reference.
    c.param = "_id";
    p.value = patient_id;
  } else {
    const std::vector<std::string>& cparams = compartment ? compartment->params(type) : std::vector<std::string>{};
    if (cparams.empty()) return std::nullopt;
    c.param = cparams[0];
    c.also_params.assign(cparams.begin() + 1, cparams.end());
    c.kind = IndexRow::Kind::Reference;
    p.value = "Patient/" + patient_id;
  }
  c.any_of.push_back(std::move(p));
  return c;
}

SearchContext FhirService::Impl::search_context(const Request& req, bool strict) const {
  SearchContext ctx;
  ctx.params = search_params.current();
  ctx.definitions = definitions.get();
  ctx.settings = &settings;
  ctx.base_url = req.base_url;
  ctx.strict = strict;
  if (auto p = req.headers.get("Prefer"); p && p->find("handling=strict") != std::string_view::npos) ctx.strict = true;
  ctx.terminology = terminology.get();
  if (terminology)
    ctx.term_lookup = [this](std::string_view type, std::string_view url) -> std::optional<search::StoredTerm> {
      // The current resource of `type` whose url is `url` (the first, when several claim it).
      SearchQuery q;
      q.type = std::string(type);
      q.count = 1;
      SearchClause c;
      c.param = "url";
      c.kind = IndexRow::Kind::Uri;
      SearchPredicate p;
      p.kind = SearchPredicate::Kind::Text;
      p.value = std::string(url);
      c.any_of.push_back(std::move(p));
      q.clauses.push_back(std::move(c));
      SearchPage page = store->search(q);
      if (page.entries.empty()) return std::nullopt;
      const StoredVersion& v = page.entries[0];
      return search::StoredTerm{v.type + "/" + v.id + "/_history/" + std::to_string(v.version), v.json};
    };
  return ctx;
}

Response FhirService::Impl::search(Request& req, const std::vector<std::string>& types, const SmartAccess& smart,
                                   const std::optional<std::pair<std::string, std::string>>& in_compartment) {
  std::vector<std::pair<std::string, std::string>> params = req.query;
  if (req.method == "POST") {
    auto ct = req.headers.get("Content-Type");
    if (!req.body.empty() && (!ct || ct->find("application/x-www-form-urlencoded") == std::string_view::npos))
      return error(415, "not-supported", "POST _search takes an application/x-www-form-urlencoded body");
    for (auto& kv : parse_query(req.body)) params.push_back(std::move(kv));
  }
  const SearchContext ctx = search_context(req, false);

  ParsedSearch parsed;
  if (auto bad = parse_search(ctx, types, params, parsed)) return std::move(*bad);
  SearchQuery& q = parsed.query;

  if (in_compartment) {
    auto c = compartment_clause(q.type, in_compartment->second);
    if (!c) return error(400, "not-supported", q.type + " is not in the " + in_compartment->first + " compartment");
    q.clauses.push_back(std::move(*c));
  }
  const std::string searched_type = q.type;
  if (parsed.contained != ParsedSearch::Contained::Off) {
    if (in_compartment) return error(400, "not-supported", "_contained cannot be combined with a compartment search");
    if (auto why = contained_query(*definitions, parsed)) return error(400, "not-supported", *why);
  }

  const bool filtered = smart.needs_resource_check();
  if (filtered) q.with_total = false;  // a filtered page cannot say how many match in all
  if (parsed.summary_count) q.count = 0;
  SearchPage page = store->search(q);
  if (filtered)
    std::erase_if(page.entries,
                  [&](const StoredVersion& v) { return !smart.permits_json(v.json, auth::Interaction::Search); });
  if (!smart.active() || !filtered) {
    // Types the scopes do not cover are dropped from system searches (and containers from _contained).
    if (smart.active() && (types.empty() || parsed.contained != ParsedSearch::Contained::Off))
      std::erase_if(page.entries, [&](const StoredVersion& v) { return smart.check(v.type, auth::Interaction::Search).has_value(); });
  }

  // _include / _revinclude: resources the matches refer to, and that refer to them.
  std::vector<StoredVersion> included;
  std::set<std::string> have;  // "Type/id" already in the Bundle
  for (const auto& v : page.entries) have.insert(v.type + "/" + v.id);
  auto add_included = [&](StoredVersion v) {
    if (included.size() >= kMaxIncluded || v.deleted()) return;
    if (!have.insert(v.type + "/" + v.id).second) return;
    if (filtered && !smart.permits_json(v.json, auth::Interaction::Read)) return;
    if (smart.active() && smart.check(v.type, auth::Interaction::Read)) return;
    included.push_back(std::move(v));
  };
  std::vector<const StoredVersion*> sources;
  for (const auto& v : page.entries) sources.push_back(&v);
  for (int round = 0; round < 4 && !sources.empty() && (!parsed.include.empty() || !parsed.revinclude.empty());
       ++round) {
    const size_t before = included.size();
    for (const IncludeSpec& inc : parsed.include) {
      if (round > 0 && !inc.iterate) continue;
      for (const StoredVersion* src : sources) {
        if (src->type != inc.source_type) continue;
        json::Document doc;
        if (!json::parse(src->json, doc)) continue;
        for (auto& [t, id] : local_references(*ctx.params, *definitions, src->type, doc, inc.param, req.base_url)) {
          if (!inc.target_type.empty() && t != inc.target_type) continue;
          if (have.contains(t + "/" + id)) continue;
          if (auto cur = store->current(t, id)) add_included(std::move(*cur));
        }
      }
    }
    for (const IncludeSpec& inc : parsed.revinclude) {
      if (round > 0 && !inc.iterate) continue;
      SearchQuery rq;
      rq.type = inc.source_type;
      rq.count = static_cast<int>(kMaxIncluded);
      SearchClause c;
      c.kind = IndexRow::Kind::Reference;
      std::vector<std::string> ref_params;
      if (inc.param == "*") {
        for (const search::SearchParam* sp : ctx.params->for_type(inc.source_type))
          if (sp->kind == search::ParamType::Reference && searchable(*sp)) ref_params.push_back(sp->code);
      } else {
        ref_params.push_back(inc.param);
      }
      if (ref_params.empty()) continue;
      c.param = ref_params[0];
      c.also_params.assign(ref_params.begin() + 1, ref_params.end());
      for (const StoredVersion* src : sources) {
        if (!inc.target_type.empty() && src->type != inc.target_type) continue;
        SearchPredicate p;
        p.kind = SearchPredicate::Kind::Text;
        p.value = src->type + "/" + src->id;
        c.any_of.push_back(std::move(p));
      }
      if (c.any_of.empty()) continue;
      rq.clauses.push_back(std::move(c));
      for (auto& v : store->search(rq).entries) add_included(std::move(v));
    }
    sources.clear();
    for (size_t i = before; i < included.size(); ++i) sources.push_back(&included[i]);
  }

  const std::string path = req.base_url + (in_compartment ? "/" + in_compartment->first + "/" + in_compartment->second : "") +
                           (types.empty() ? "" : "/" + types[0]);
  const std::string& kept = parsed.kept;
  auto page_url = [&](const std::string& param, const std::string& value) {
    return path + "?" + kept + (kept.empty() ? "" : "&") + param + "=" + value;
  };
  const std::string first = path + (kept.empty() ? "" : "?" + kept);

  rapidjson::StringBuffer buf;
  Writer w(buf);
  bundle::begin(w, "searchset", page.total);
  key(w, "link");
  w.StartArray();
  std::string self = first;
  if (!parsed.cursor.empty()) self = page_url("_cursor", percent_encode(parsed.cursor));
  if (q.offset > 0) self = page_url("_offset", std::to_string(q.offset));
  link(w, "self", self);
  link(w, "first", first);
  if (!parsed.summary_count) {
    // Pages are keyset-paged: the next link carries the last resource's position, the previous
    // link (on pages read from a cursor) the first one's, backward. An explicit _offset steps back
    // by offset.
    if (q.offset > 0 && parsed.cursor.empty())
      link(w, "previous", q.offset - q.count > 0 ? page_url("_offset", std::to_string(q.offset - q.count)) : first);
    if (page.has_previous) {
      const std::string at =
          q.sort.empty() ? std::to_string(page.previous) : sort_cursor(page.previous_keys, page.previous);
      link(w, "previous", page_url("_cursor", percent_encode(snapshot_cursor("p" + at, page.snapshot_seq))));
    }
    if (page.has_more) {
      // The first page's snapshot travels with every later page's cursor.
      const std::string at = q.sort.empty() ? std::to_string(page.next) : sort_cursor(page.next_keys, page.next);
      link(w, "next", page_url("_cursor", percent_encode(snapshot_cursor(at, page.snapshot_seq))));
    }
  }
  w.EndArray();
  key(w, "entry");
  w.StartArray();
  bundle::outcome_entry(w, parsed.warnings);
  auto write_entry = [&](const std::string& full_url, const std::string& json, const char* mode) {
    w.StartObject();
    key(w, "fullUrl");
    string(w, full_url);
    key(w, "resource");
    if (!parsed.subsetting.active()) {
      raw_object(w, buf, json);
    } else {
      raw_object(w, buf, subset_resource(*definitions, json, parsed.subsetting));
    }
    key(w, "search");
    w.StartObject();
    key(w, "mode");
    string(w, mode);
    w.EndObject();
    w.EndObject();
  };
  auto entry = [&](const StoredVersion& v, const char* mode) {
    write_entry(req.base_url + "/" + v.type + "/" + v.id, v.json, mode);
  };
  if (!parsed.summary_count) {
    for (const auto& v : page.entries) {
      if (!parsed.as_contained) {
        entry(v, "match");
        continue;
      }
      // _containedType=contained: the type's own matches (both), then the matching resources each
      // container holds, as "<container url>#<local id>".
      if (v.type == searched_type && parsed.contained == ParsedSearch::Contained::Both) entry(v, "match");
      for (const ContainedMatch& m : matching_contained(parsed, ctx, searched_type, v.json))
        write_entry(req.base_url + "/" + v.type + "/" + v.id + "#" + m.local_id, m.json, "match");
    }
    for (const auto& v : included) entry(v, "include");
  }
  w.EndArray();
  w.EndObject();

  Response r;
  r.status = 200;
  set_json_body(req, r, std::string(buf.GetString(), buf.GetSize()));
  return r;
}

}  // namespace healthd::fhir
