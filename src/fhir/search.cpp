// Type-level search: GET [base]/[type]?params and POST [base]/[type]/_search (form body).
// Parameters become a fhir::SearchQuery answered by the store from the search index rows written
// with each version (index_rows() below); results are keyset-paged on (lastUpdated, id).
#include <charconv>
#include <cmath>

#include "common/time.h"
#include "fhir/service_impl.h"
#include "fhir/smart_access.h"
#include "json/json.h"
#include "search/index_values.h"
#include "search/match.h"
#include "search/search_parameters.h"

namespace healthd::fhir {

namespace {

using search::ParamType;
using Bound = SearchBound;
using Col = SearchBound::Column;
using Op = SearchBound::Op;

bool indexed_kind(ParamType t) {
  switch (t) {
    case ParamType::String:
    case ParamType::Token:
    case ParamType::Reference:
    case ParamType::Date:
    case ParamType::Number:
    case ParamType::Quantity:
    case ParamType::Uri: return true;
    default: return false;
  }
}

// The parameters search answers from the version rows rather than the index.
bool version_param(std::string_view code) { return code == "_id" || code == "_lastUpdated"; }

enum class Prefix { Eq, Ne, Gt, Lt, Ge, Le, Sa, Eb, Ap };

Prefix take_prefix(std::string_view& v) {
  static constexpr std::pair<std::string_view, Prefix> kPrefixes[] = {
      {"eq", Prefix::Eq}, {"ne", Prefix::Ne}, {"gt", Prefix::Gt}, {"lt", Prefix::Lt}, {"ge", Prefix::Ge},
      {"le", Prefix::Le}, {"sa", Prefix::Sa}, {"eb", Prefix::Eb}, {"ap", Prefix::Ap}};
  if (v.size() > 2)
    for (const auto& [p, k] : kPrefixes)
      if (v.substr(0, 2) == p && (std::isdigit(static_cast<unsigned char>(v[2])) || v[2] == '-' || v[2] == '.')) {
        v.remove_prefix(2);
        return k;
      }
  return Prefix::Eq;
}

Bound ib(Col c, Op o, int64_t v) {
  Bound b;
  b.column = c;
  b.op = o;
  b.is_int = true;
  b.i = v;
  return b;
}

Bound db(Col c, Op o, double v) {
  Bound b;
  b.column = c;
  b.op = o;
  b.is_int = false;
  b.d = v;
  return b;
}

// Date ranges: target [L, H) against the search range [s, e), as search::match does.
SearchPredicate date_predicate(Prefix pre, int64_t s, int64_t e) {
  SearchPredicate p;
  p.kind = SearchPredicate::Kind::Range;
  std::vector<Bound> eq = {ib(Col::Low, Op::Ge, s), ib(Col::High, Op::Le, e)};
  switch (pre) {
    case Prefix::Eq: p.any_of = {eq}; break;
    case Prefix::Ne: p.any_of = {eq}; p.negate = true; break;
    case Prefix::Gt: p.any_of = {{ib(Col::High, Op::Gt, e)}}; break;
    case Prefix::Lt: p.any_of = {{ib(Col::Low, Op::Lt, s)}}; break;
    case Prefix::Ge: p.any_of = {{ib(Col::High, Op::Gt, e)}, eq}; break;
    case Prefix::Le: p.any_of = {{ib(Col::Low, Op::Lt, s)}, eq}; break;
    case Prefix::Sa: p.any_of = {{ib(Col::Low, Op::Ge, e)}}; break;
    case Prefix::Eb: p.any_of = {{ib(Col::High, Op::Le, s)}}; break;
    case Prefix::Ap: {
      int64_t d = static_cast<int64_t>(std::fabs(static_cast<double>(s) - static_cast<double>(now_us())) * 0.1);
      p.any_of = {{ib(Col::Low, Op::Lt, e + d), ib(Col::High, Op::Gt, s - d)}};
      break;
    }
  }
  return p;
}

// Numbers and quantities: target [L, H] (L == H for a plain value) against s with range [lo, hi).
SearchPredicate number_predicate(Prefix pre, double s, double lo, double hi) {
  SearchPredicate p;
  p.kind = SearchPredicate::Kind::Range;
  std::vector<Bound> eq = {db(Col::Low, Op::Lt, hi), db(Col::High, Op::Ge, lo)};
  switch (pre) {
    case Prefix::Eq: p.any_of = {eq}; break;
    case Prefix::Ne: p.any_of = {eq}; p.negate = true; break;
    case Prefix::Gt:
    case Prefix::Sa: p.any_of = {{db(Col::High, Op::Gt, s)}}; break;
    case Prefix::Lt:
    case Prefix::Eb: p.any_of = {{db(Col::Low, Op::Lt, s)}}; break;
    case Prefix::Ge: p.any_of = {{db(Col::High, Op::Ge, s)}}; break;
    case Prefix::Le: p.any_of = {{db(Col::Low, Op::Le, s)}}; break;
    case Prefix::Ap: {
      double tol = std::max(std::fabs(s) * 0.1, (hi - lo) / 2);
      p.any_of = {{db(Col::Low, Op::Le, s + tol), db(Col::High, Op::Ge, s - tol)}};
      break;
    }
  }
  return p;
}

bool parse_int(std::string_view s, int64_t& out) {
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size() && !s.empty();
}

// Cursor text: the store's key of the last resource of the previous page.
std::optional<int64_t> parse_cursor(std::string_view v) {
  int64_t key;
  if (!parse_int(v, key) || key <= 0) return std::nullopt;
  return key;
}

// The index that holds a parameter's values.
IndexRow::Kind index_kind(ParamType t) {
  switch (t) {
    case ParamType::String: return IndexRow::Kind::String;
    case ParamType::Reference: return IndexRow::Kind::Reference;
    case ParamType::Date: return IndexRow::Kind::Date;
    case ParamType::Number: return IndexRow::Kind::Number;
    case ParamType::Quantity: return IndexRow::Kind::Quantity;
    case ParamType::Uri: return IndexRow::Kind::Uri;
    default: return IndexRow::Kind::Token;
  }
}

std::string strip_history(std::string ref) {
  if (auto h = ref.find("/_history/"); h != std::string::npos) ref.resize(h);
  return ref;
}

bool is_absolute(std::string_view v) { return v.find("://") != std::string_view::npos || v.starts_with("urn:"); }

// One value of a parameter -> predicate; an error message when it is malformed.
std::optional<SearchPredicate> value_predicate(const search::SearchParam& sp, std::string_view modifier,
                                               std::string_view raw, const std::string& base_url,
                                               std::string& why) {
  SearchPredicate p;
  switch (sp.kind) {
    case ParamType::String:
      if (modifier == "exact") {
        p.kind = SearchPredicate::Kind::Exact;
        p.value = search::unescape(raw);
      } else if (modifier == "contains") {
        p.kind = SearchPredicate::Kind::Contains;
        p.value = search::normalize_string(search::unescape(raw));
      } else {
        p.kind = SearchPredicate::Kind::Prefix;
        p.value = search::normalize_string(search::unescape(raw));
      }
      return p;
    case ParamType::Uri:
      p.kind = SearchPredicate::Kind::Text;
      p.value = search::unescape(raw);
      return p;
    case ParamType::Token: {
      auto parts = search::split_escaped(raw, '|');
      p.kind = SearchPredicate::Kind::Token;
      if (parts.size() == 1) {
        p.value = search::unescape(parts[0]);
      } else if (parts.size() == 2) {
        p.has_system = true;
        p.system = search::unescape(parts[0]);
        p.value = search::unescape(parts[1]);
        p.has_code = !p.value.empty();
      } else {
        why = "a token is [system|]code";
        return std::nullopt;
      }
      return p;
    }
    case ParamType::Reference: {
      std::string v = search::unescape(raw);
      if (is_absolute(v) && v.starts_with(base_url + "/")) v = v.substr(base_url.size() + 1);
      p.kind = SearchPredicate::Kind::Text;
      if (is_absolute(v)) {
        p.value = v;
      } else if (v.find('/') != std::string::npos) {
        p.value = strip_history(v);
      } else if (!modifier.empty()) {
        p.value = std::string(modifier) + "/" + v;  // subject:Patient=x
      } else {
        p.kind = SearchPredicate::Kind::TextSuffix;
        p.value = v;
      }
      if (v.empty()) {
        why = "an empty reference";
        return std::nullopt;
      }
      return p;
    }
    case ParamType::Date: {
      std::string v = search::unescape(raw);
      std::string_view sv = v;
      Prefix pre = take_prefix(sv);
      auto r = parse_fhir_datetime_range(sv);
      if (!r) {
        why = "'" + v + "' is not a FHIR date or dateTime";
        return std::nullopt;
      }
      return date_predicate(pre, r->start_us, r->end_us);
    }
    case ParamType::Number: {
      std::string v = search::unescape(raw);
      std::string_view sv = v;
      Prefix pre = take_prefix(sv);
      double s, lo, hi;
      if (!search::decimal_range(sv, s, lo, hi)) {
        why = "'" + v + "' is not a number";
        return std::nullopt;
      }
      return number_predicate(pre, s, lo, hi);
    }
    case ParamType::Quantity: {
      auto parts = search::split_escaped(raw, '|');
      if (parts.size() != 1 && parts.size() != 3) {
        why = "a quantity is [prefix]number[|system|code]";
        return std::nullopt;
      }
      std::string num = search::unescape(parts[0]);
      std::string_view sv = num;
      Prefix pre = take_prefix(sv);
      double s, lo, hi;
      if (!search::decimal_range(sv, s, lo, hi)) {
        why = "'" + num + "' is not a number";
        return std::nullopt;
      }
      p = number_predicate(pre, s, lo, hi);
      if (parts.size() == 3) {
        std::string sys = search::unescape(parts[1]);
        if (!sys.empty()) {
          p.has_system = true;
          p.system = sys;
        }
        p.unit = search::unescape(parts[2]);
      }
      return p;
    }
    default: break;
  }
  why = "parameters of type " + std::string(search::param_type_name(sp.kind)) + " are not supported yet";
  return std::nullopt;
}

using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

void key(Writer& w, std::string_view k) { w.Key(k.data(), static_cast<rapidjson::SizeType>(k.size())); }
void string(Writer& w, std::string_view s) { w.String(s.data(), static_cast<rapidjson::SizeType>(s.size())); }

void link(Writer& w, const char* relation, const std::string& url) {
  w.StartObject();
  key(w, "relation");
  string(w, relation);
  key(w, "url");
  string(w, url);
  w.EndObject();
}

}  // namespace

bool searchable(const search::SearchParam& p) {
  return version_param(p.code) || (indexed_kind(p.kind) && p.compiled_ok);
}

std::vector<IndexRow> FhirService::Impl::index_rows(const std::string& type, const json::Value& resource,
                                                    const std::string& base_url) const {
  std::vector<IndexRow> rows;
  if (!search_params) return rows;
  fhirpath::EvalContext ctx;
  ctx.definitions = definitions.get();
  ctx.resource = &resource;
  for (const search::SearchParam* sp : search_params->for_type(type)) {
    if (version_param(sp->code) || !indexed_kind(sp->kind) || !sp->compiled_ok) continue;
    search::IndexValues values = search::extract(*sp, resource, ctx);
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
    for (const auto& ref : values.references) {
      IndexRow& r = row(IndexRow::Kind::Reference);
      auto local = ref.local_key(base_url);
      r.text = local ? *local : ref.key();
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
      r.low = q.is_range ? q.low : q.value;
      r.high = q.is_range ? q.high : q.value;
      r.system = q.system;
      r.unit = q.code.empty() ? q.unit : q.code;
    }
    for (const auto& u : values.uris) {
      IndexRow& r = row(IndexRow::Kind::Uri);
      r.text = u;
    }
  }
  return rows;
}

Response FhirService::Impl::search(Request& req, const std::string& type, const SmartAccess& smart) {
  std::vector<std::pair<std::string, std::string>> params = req.query;
  if (req.method == "POST") {
    auto ct = req.headers.get("Content-Type");
    if (!req.body.empty() && (!ct || ct->find("application/x-www-form-urlencoded") == std::string_view::npos))
      return error(415, "not-supported", "POST _search takes an application/x-www-form-urlencoded body");
    for (auto& kv : parse_query(req.body)) params.push_back(std::move(kv));
  }
  bool strict = false;
  if (auto p = req.headers.get("Prefer")) strict = p->find("handling=strict") != std::string_view::npos;

  SearchQuery q;
  q.type = type;
  q.count = settings.default_count;
  std::vector<Issue> warnings;
  std::string kept;  // the query minus _cursor and ignored parameters, for the links
  auto keep = [&](const std::string& name, const std::string& value) {
    if (!kept.empty()) kept += "&";
    kept += percent_encode(name) + "=" + percent_encode(value);
  };
  auto reject = [&](const std::string& name, const std::string& why) -> std::optional<Response> {
    if (strict) return error(400, "not-supported", why, name);
    warnings.push_back({"warning", "not-supported", why + "; ignored", {}});
    return std::nullopt;
  };

  for (const auto& [name, value] : params) {
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
      keep(name, value);
      continue;
    }
    if (name == "_total") {
      if (value != "none" && value != "estimate" && value != "accurate")
        return error(400, "invalid", "_total must be none, estimate or accurate", "_total");
      q.with_total = value != "none";
      keep(name, value);
      continue;
    }
    if (name == "_cursor") {
      auto after = parse_cursor(value);
      if (!after) return error(400, "invalid", "_cursor is not a valid paging cursor", "_cursor");
      q.after = *after;
      continue;
    }
    if (name == "_format" || name == "_pretty") continue;

    std::string_view code = name, modifier;
    if (auto colon = code.find(':'); colon != std::string_view::npos) {
      modifier = code.substr(colon + 1);
      code = code.substr(0, colon);
    }
    const search::SearchParam* sp = search_params ? search_params->find(type, code) : nullptr;
    if (!sp || !searchable(*sp)) {
      if (auto bad = reject(name, "Unknown or unsupported search parameter '" + name + "' for " + type)) return *bad;
      continue;
    }
    SearchClause clause;
    clause.param = sp->code;
    clause.kind = index_kind(sp->kind);
    if (modifier == "missing") {
      if (value != "true" && value != "false") {
        if (auto bad = reject(name, ":missing takes true or false")) return *bad;
        continue;
      }
      clause.missing = value == "true";
    } else {
      bool modifier_ok = modifier.empty() ||
                         (sp->kind == ParamType::String && (modifier == "exact" || modifier == "contains")) ||
                         (sp->kind == ParamType::Reference && definitions->is_resource_type(std::string(modifier)));
      if (!modifier_ok) {
        if (auto bad = reject(name, "Modifier ':" + std::string(modifier) + "' is not supported on '" +
                                        std::string(code) + "'"))
          return *bad;
        continue;
      }
      std::string why;
      bool malformed = false;
      for (std::string_view part : search::split_escaped(value, ',')) {
        std::optional<SearchPredicate> p;
        if (sp->code == "_id") {
          p.emplace();
          p->kind = SearchPredicate::Kind::Text;
          p->value = search::unescape(part);
        } else if (sp->code == "_lastUpdated") {
          std::string v = search::unescape(part);
          std::string_view sv = v;
          Prefix pre = take_prefix(sv);
          if (auto r = parse_fhir_datetime_range(sv))
            p = date_predicate(pre, r->start_us, r->end_us);
          else
            why = "'" + v + "' is not a FHIR date or dateTime";
        } else {
          p = value_predicate(*sp, modifier, part, req.base_url, why);
        }
        if (!p) {
          malformed = true;
          break;
        }
        if (p->kind == SearchPredicate::Kind::TextSuffix && !sp->target.empty()) {
          // A bare id: the reference is "<target type>/<id>" for one of the parameter's targets.
          for (const std::string& target : sp->target) {
            SearchPredicate t;
            t.kind = SearchPredicate::Kind::Text;
            t.value = target + "/" + p->value;
            clause.any_of.push_back(std::move(t));
          }
          continue;
        }
        clause.any_of.push_back(std::move(*p));
      }
      if (malformed) {
        if (auto bad = reject(name, "Invalid value of search parameter '" + name + "': " + why)) return *bad;
        continue;
      }
    }
    q.clauses.push_back(std::move(clause));
    keep(name, value);
  }

  const bool filtered = smart.needs_resource_check();
  if (filtered) q.with_total = false;  // a filtered page cannot say how many match in all
  SearchPage page = store->search(q);
  std::optional<int64_t> next;
  if (page.has_more) next = page.next;
  if (filtered)
    std::erase_if(page.entries,
                  [&](const StoredVersion& v) { return !smart.permits_json(v.json, auth::Interaction::Search); });

  const std::string path = req.base_url + "/" + type;
  auto with_cursor = [&](int64_t after) {
    return path + "?" + kept + (kept.empty() ? "" : "&") + "_cursor=" + std::to_string(after);
  };
  const std::string first = path + (kept.empty() ? "" : "?" + kept);

  rapidjson::StringBuffer buf;
  Writer w(buf);
  w.StartObject();
  key(w, "resourceType");
  string(w, "Bundle");
  key(w, "type");
  string(w, "searchset");
  if (page.total) {
    key(w, "total");
    w.Int64(*page.total);
  }
  key(w, "link");
  w.StartArray();
  link(w, "self", q.after ? with_cursor(q.after) : first);
  link(w, "first", first);
  if (next) link(w, "next", with_cursor(*next));
  w.EndArray();
  key(w, "entry");
  w.StartArray();
  if (!warnings.empty()) {
    w.StartObject();
    key(w, "resource");
    std::string oo = operation_outcome_json(warnings);
    w.RawValue(oo.data(), oo.size(), rapidjson::kObjectType);
    key(w, "search");
    w.StartObject();
    key(w, "mode");
    string(w, "outcome");
    w.EndObject();
    w.EndObject();
  }
  for (const auto& v : page.entries) {
    w.StartObject();
    key(w, "fullUrl");
    string(w, req.base_url + "/" + v.type + "/" + v.id);
    key(w, "resource");
    w.RawValue(v.json.data(), v.json.size(), rapidjson::kObjectType);
    key(w, "search");
    w.StartObject();
    key(w, "mode");
    string(w, "match");
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
