#include "fhir/search_request.h"

#include <algorithm>
#include <charconv>
#include <cmath>

#include "common/time.h"
#include "fhir/search_cursor.h"
#include "fhir/search_filter.h"
#include "search/filter_expr.h"
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
    case ParamType::Composite:
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

// The index that holds a parameter's values.
IndexRow::Kind index_kind(ParamType t) {
  switch (t) {
    case ParamType::String: return IndexRow::Kind::String;
    case ParamType::Reference: return IndexRow::Kind::Reference;
    case ParamType::Date: return IndexRow::Kind::Date;
    case ParamType::Number: return IndexRow::Kind::Number;
    case ParamType::Quantity: return IndexRow::Kind::Quantity;
    case ParamType::Uri: return IndexRow::Kind::Uri;
    case ParamType::Composite: return IndexRow::Kind::Composite;
    default: return IndexRow::Kind::Token;
  }
}

std::string strip_history(std::string ref) {
  if (auto h = ref.find("/_history/"); h != std::string::npos) ref.resize(h);
  return ref;
}

bool is_absolute(std::string_view v) { return v.find("://") != std::string_view::npos || v.starts_with("urn:"); }

// One value of a parameter -> predicate; an error message when it is malformed.
// canonical_ucum: a UCUM quantity is searched in its canonical unit (plain parameters, whose UCUM
// values are indexed in it too); composites compare quantities in the unit given.
std::optional<SearchPredicate> value_predicate(const search::SearchParam& sp, std::string_view modifier,
                                               std::string_view raw, const std::string& base_url,
                                               std::string& why, bool canonical_ucum = true) {
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
      p.value = search::unescape(raw);
      if (modifier == "below") {
        p.kind = SearchPredicate::Kind::Below;  // the uri starts with the value
      } else if (modifier == "above") {
        p.kind = SearchPredicate::Kind::Above;  // the value starts with the uri
      } else {
        p.kind = SearchPredicate::Kind::Text;
      }
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
      std::string sys = parts.size() == 3 ? search::unescape(parts[1]) : std::string();
      std::string unit = parts.size() == 3 ? search::unescape(parts[2]) : std::string();
      // A UCUM unit is searched in its canonical unit, in which every UCUM quantity is indexed too.
      if (canonical_ucum && sys == search::kUcumSystem) search::to_canonical_ucum(unit, s, lo, hi);
      p = number_predicate(pre, s, lo, hi);
      if (!sys.empty()) {
        p.has_system = true;
        p.system = sys;
      }
      p.unit = unit;
      return p;
    }
    case ParamType::Composite: {
      // code$value: each part is a value of its component's parameter.
      auto parts = search::split_escaped(raw, '$');
      if (parts.size() != sp.components.size()) {
        why = "a value of " + sp.code + " has " + std::to_string(sp.components.size()) + " parts separated by $";
        return std::nullopt;
      }
      p.kind = SearchPredicate::Kind::Composite;
      for (size_t i = 0; i < parts.size(); ++i) {
        auto part = value_predicate(*sp.components[i].param, "", parts[i], base_url, why, false);
        if (!part) return std::nullopt;
        const auto k = part->kind;
        const bool usable = i == 0   ? k == SearchPredicate::Kind::Token || k == SearchPredicate::Kind::Text
                            : i == 2 ? k == SearchPredicate::Kind::Range
                                     : k == SearchPredicate::Kind::Token || k == SearchPredicate::Kind::Prefix ||
                                           k == SearchPredicate::Kind::Range;
        if (!usable) {
          why = "part " + std::to_string(i + 1) + " of a " + sp.code + " value cannot be searched in a composite";
          return std::nullopt;
        }
        p.parts.push_back(std::move(*part));
      }
      return p;
    }
    default: break;
  }
  why = "parameters of type " + std::string(search::param_type_name(sp.kind)) + " are not supported yet";
  return std::nullopt;
}


constexpr int kMaxChainDepth = 4;

class Parser {
 public:
  Parser(const SearchContext& ctx, ParsedSearch& out) : ctx_(ctx), out_(out) {}

  // One search parameter (name may chain, _has, or carry a modifier) on `type`: the clause, or
  // nullopt with why_ set.
  std::optional<SearchClause> clause(const std::string& type, std::string_view name, std::string_view value,
                                     int depth);
  // _filter on type: its clauses, or nullopt with failure set.
  std::optional<std::vector<SearchClause>> filter(const std::string& type, const search::FilterExpr& expr,
                                                  FilterFailure& failure);
  std::string why;

 private:
  std::optional<SearchClause> has_clause(const std::string& type, std::string_view name, std::string_view value,
                                         int depth);
  std::optional<SearchClause> chain_clause(const std::string& type, std::string_view head, std::string_view rest,
                                           std::string_view value, int depth);
  const search::SearchParam* param(const std::string& type, std::string_view code) const;
  // A parameter with a modifier (or none) on type: the clause of its own index rows.
  std::optional<SearchClause> param_clause(const std::string& type, std::string_view name, std::string_view value);
  // A clause on a parameter without rows of its own (row_sources) reads its parts' rows instead.
  void read_rows_of_parts(const std::string& type, SearchClause& c) const;
  // _list=id[,id]: referred to by List.entry.item of one of those Lists.
  std::optional<SearchClause> list_clause(std::string_view value);
  // Token :in/:not-in (value set expansion) and :above/:below (code system hierarchy).
  std::optional<SearchClause> terminology_clause(SearchClause c, std::string_view name, std::string_view modifier,
                                                 std::string_view value);

  const SearchContext& ctx_;
  ParsedSearch& out_;
};

const search::SearchParam* Parser::param(const std::string& type, std::string_view code) const {
  const search::SearchParam* sp = ctx_.params ? ctx_.params->find(type, code) : nullptr;
  return sp && searchable(*sp) ? sp : nullptr;
}

std::optional<std::vector<SearchClause>> Parser::filter(const std::string& type, const search::FilterExpr& expr,
                                                        FilterFailure& failure) {
  FilterResolver resolver;
  resolver.param = [this](const std::string& t, std::string_view code) { return param(t, code); };
  resolver.clause = [this](const std::string& t, std::string_view name, std::string_view value, std::string& w) {
    auto c = clause(t, name, value, 0);
    if (!c) w = why;
    return c;
  };
  return compile_filter(expr, type, resolver, failure);
}

std::optional<SearchClause> Parser::list_clause(std::string_view value) {
  // The same query as _has:List:item:_id=<value>.
  SearchClause ids;
  ids.param = "_id";
  for (std::string_view part : search::split_escaped(value, ',')) {
    std::string id = search::unescape(part);
    if (id.starts_with("$")) {
      why = "_list=" + id + ": functional lists are not supported (a List id is)";
      return std::nullopt;
    }
    SearchPredicate p;
    p.kind = SearchPredicate::Kind::Text;
    p.value = std::move(id);
    ids.any_of.push_back(std::move(p));
  }
  SearchClause c;
  c.param = "item";
  c.kind = IndexRow::Kind::Reference;
  c.has = std::make_shared<SearchFilter>(SearchFilter{"List", {std::move(ids)}});
  return c;
}

std::optional<SearchClause> Parser::terminology_clause(SearchClause c, std::string_view name,
                                                      std::string_view modifier, std::string_view value) {
  if (ctx_.terminology == nullptr) {
    why = "Modifier ':" + std::string(modifier) + "' is not supported on '" + c.param + "'";
    return std::nullopt;
  }
  c.negate = modifier == "not-in";
  for (std::string_view part : search::split_escaped(value, ',')) {
    if (modifier == "in" || modifier == "not-in") {
      const std::string url = search::unescape(part);
      std::string reason;
      auto expansion = ctx_.terminology->expand(url, ctx_.term_lookup, reason);
      if (!expansion) {
        why = "Cannot use the value set of '" + std::string(name) + "': " + reason;
        return std::nullopt;
      }
      for (const auto& system : expansion->whole_systems) {
        SearchPredicate p;
        p.kind = SearchPredicate::Kind::Token;
        p.has_system = true;
        p.system = system;
        p.has_code = false;
        c.any_of.push_back(std::move(p));
      }
      for (const auto& [system, codes] : expansion->codes) {
        SearchPredicate p;
        p.kind = SearchPredicate::Kind::CodeIn;
        p.has_system = true;
        p.system = system;
        p.codes.assign(codes.begin(), codes.end());
        c.any_of.push_back(std::move(p));
      }
      continue;
    }
    // :above / :below: system|code, within the code system's is-a hierarchy.
    auto pieces = search::split_escaped(part, '|');
    if (pieces.size() != 2 || pieces[0].empty() || pieces[1].empty()) {
      why = "Invalid value of search parameter '" + std::string(name) + "': :" + std::string(modifier) +
            " on a token takes system|code";
      return std::nullopt;
    }
    const std::string system = search::unescape(pieces[0]), code = search::unescape(pieces[1]);
    std::shared_ptr<const search::CodeSystem> holder;
    const search::CodeSystem* cs = ctx_.terminology->code_system(system, ctx_.term_lookup, holder);
    if (cs == nullptr) {
      why = "Cannot use :" + std::string(modifier) + " on '" + std::string(name) + "': the code system " + system +
            " is unknown, so its hierarchy is too";
      return std::nullopt;
    }
    SearchPredicate p;
    p.kind = SearchPredicate::Kind::CodeIn;
    p.has_system = true;
    p.system = system;
    p.codes = modifier == "below" ? cs->descendants_or_self(code) : cs->ancestors_or_self(code);
    c.any_of.push_back(std::move(p));
  }
  return c;
}

std::optional<SearchClause> Parser::has_clause(const std::string& type, std::string_view name,
                                               std::string_view value, int depth) {
  // _has:Observation:patient:code=x  (the rest may itself be _has:... or a chain)
  std::string_view rest = name.substr(5);
  size_t c1 = rest.find(':');
  size_t c2 = c1 == std::string_view::npos ? c1 : rest.find(':', c1 + 1);
  if (c2 == std::string_view::npos) {
    why = "_has is _has:<type>:<reference parameter>:<parameter>";
    return std::nullopt;
  }
  std::string source(rest.substr(0, c1));
  std::string ref(rest.substr(c1 + 1, c2 - c1 - 1));
  if (!ctx_.definitions->is_resource_type(source)) {
    why = "_has names an unknown resource type '" + source + "'";
    return std::nullopt;
  }
  const search::SearchParam* sp = param(source, ref);
  if (!sp || sp->kind != search::ParamType::Reference) {
    why = "'" + ref + "' is not a reference parameter of " + source;
    return std::nullopt;
  }
  if (!sp->target.empty() && std::find(sp->target.begin(), sp->target.end(), type) == sp->target.end()) {
    why = source + "." + ref + " never refers to a " + type;
    return std::nullopt;
  }
  auto inner = clause(source, rest.substr(c2 + 1), value, depth + 1);
  if (!inner) return std::nullopt;
  SearchClause c;
  c.param = sp->code;
  c.kind = IndexRow::Kind::Reference;
  c.has = std::make_shared<SearchFilter>(SearchFilter{source, {std::move(*inner)}});
  return c;
}

std::optional<SearchClause> Parser::chain_clause(const std::string& type, std::string_view head,
                                                 std::string_view rest, std::string_view value, int depth) {
  // subject:Patient.name=x / subject.organization.name=x
  std::string_view code = head, target;
  if (auto colon = head.find(':'); colon != std::string_view::npos) {
    code = head.substr(0, colon);
    target = head.substr(colon + 1);
  }
  const search::SearchParam* sp = param(type, code);
  if (!sp || sp->kind != search::ParamType::Reference) {
    why = "'" + std::string(code) + "' is not a reference parameter of " + type + ", so it cannot be chained";
    return std::nullopt;
  }
  std::vector<std::string> targets;
  if (!target.empty()) {
    if (!ctx_.definitions->is_resource_type(std::string(target))) {
      why = "unknown resource type '" + std::string(target) + "' in a chain";
      return std::nullopt;
    }
    targets.emplace_back(target);
  } else {
    targets = sp->target;
  }
  SearchClause c;
  c.param = sp->code;
  c.kind = IndexRow::Kind::Reference;
  std::string first_why;
  for (const std::string& t : targets) {
    auto inner = clause(t, rest, value, depth + 1);
    if (!inner) {
      if (first_why.empty()) first_why = why;
      continue;  // a target without that parameter: the chain cannot go through it
    }
    c.chain.push_back(SearchFilter{t, {std::move(*inner)}});
  }
  if (c.chain.empty()) {
    why = first_why.empty() ? "the chain '" + std::string(code) + "' has no target type" : first_why;
    return std::nullopt;
  }
  return c;
}

std::optional<SearchClause> Parser::clause(const std::string& type, std::string_view name, std::string_view value,
                                           int depth) {
  if (depth > kMaxChainDepth) {
    why = "chains and _has nest at most " + std::to_string(kMaxChainDepth) + " deep";
    return std::nullopt;
  }
  if (name.starts_with("_has:")) return has_clause(type, name, value, depth);
  if (name == "_list") return list_clause(value);
  if (auto dot = name.find('.'); dot != std::string_view::npos)
    return chain_clause(type, name.substr(0, dot), name.substr(dot + 1), value, depth);
  auto c = param_clause(type, name, value);
  if (c) read_rows_of_parts(type, *c);
  return c;
}

void Parser::read_rows_of_parts(const std::string& type, SearchClause& c) const {
  const std::string code = c.param.substr(0, c.param.find(':'));
  const search::SearchParam* sp = param(type, code);
  if (!sp) return;
  const std::vector<const search::SearchParam*> parts = row_sources(*ctx_.params, type, *sp);
  if (parts.empty()) return;
  // "combo-code:text" (and its also_params alike) reads "code:text" and "component-code:text".
  std::vector<std::string> names;
  auto add = [&](const std::string& index_name) {
    for (const search::SearchParam* part : parts) names.push_back(part->code + index_name.substr(code.size()));
  };
  add(c.param);
  for (const std::string& extra : c.also_params) add(extra);
  c.param = names[0];
  c.also_params.assign(names.begin() + 1, names.end());
}

std::optional<SearchClause> Parser::param_clause(const std::string& type, std::string_view name,
                                                 std::string_view value) {
  std::string_view code = name, modifier;
  if (auto colon = code.find(':'); colon != std::string_view::npos) {
    modifier = code.substr(colon + 1);
    code = code.substr(0, colon);
  }
  const search::SearchParam* sp = param(type, code);
  if (!sp) {
    why = "Unknown or unsupported search parameter '" + std::string(code) + "' for " + type;
    return std::nullopt;
  }
  SearchClause c;
  c.param = sp->code;
  c.kind = index_kind(sp->kind);
  if (modifier == "missing") {
    if (value != "true" && value != "false") {
      why = ":missing takes true or false";
      return std::nullopt;
    }
    c.missing = value == "true";
    return c;
  }
  // Modifiers answered from an index of their own ("<code>:<modifier>").
  if ((sp->kind == ParamType::Token && (modifier == "text" || modifier == "of-type")) ||
      (sp->kind == ParamType::Reference && modifier == "identifier")) {
    SearchClause m;
    m.param = sp->code + ":" + std::string(modifier);
    m.kind = modifier == "text" ? IndexRow::Kind::String : IndexRow::Kind::Token;
    for (std::string_view part : search::split_escaped(value, ',')) {
      SearchPredicate p;
      if (modifier == "text") {
        p.kind = SearchPredicate::Kind::Prefix;
        p.value = search::normalize_string(search::unescape(part));
      } else {
        auto pieces = search::split_escaped(part, '|');
        p.kind = SearchPredicate::Kind::Token;
        if (modifier == "of-type") {
          if (pieces.size() != 3) {
            why = "Invalid value of search parameter '" + std::string(name) + "': :of-type takes system|code|value";
            return std::nullopt;
          }
          p.has_system = true;
          p.system = search::unescape(pieces[0]);
          p.value = search::unescape(pieces[1]) + "|" + search::unescape(pieces[2]);
        } else if (pieces.size() == 2) {
          p.has_system = true;
          p.system = search::unescape(pieces[0]);
          p.value = search::unescape(pieces[1]);
        } else {
          p.value = search::unescape(part);
        }
      }
      m.any_of.push_back(std::move(p));
    }
    return m;
  }
  if (sp->kind == ParamType::Token &&
      (modifier == "in" || modifier == "not-in" || modifier == "above" || modifier == "below"))
    return terminology_clause(std::move(c), name, modifier, value);
  const bool modifier_ok =
      modifier.empty() || (sp->kind == ParamType::String && (modifier == "exact" || modifier == "contains")) ||
      (sp->kind == ParamType::Token && modifier == "not") ||
      (sp->kind == ParamType::Uri && (modifier == "above" || modifier == "below")) ||
      (sp->kind == ParamType::Reference && ctx_.definitions->is_resource_type(std::string(modifier)));
  if (!modifier_ok) {
    why = "Modifier ':" + std::string(modifier) + "' is not supported on '" + std::string(code) + "'";
    return std::nullopt;
  }
  if (modifier == "not") c.negate = true;
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
      p = value_predicate(*sp, c.negate ? std::string_view{} : modifier, part, ctx_.base_url, why);
    }
    if (!p) {
      why = "Invalid value of search parameter '" + std::string(name) + "': " + why;
      return std::nullopt;
    }
    if (p->kind == SearchPredicate::Kind::TextSuffix && !sp->target.empty()) {
      // A bare id: the reference is "<target type>/<id>" for one of the parameter's targets.
      for (const std::string& t : sp->target) {
        SearchPredicate tp;
        tp.kind = SearchPredicate::Kind::Text;
        tp.value = t + "/" + p->value;
        c.any_of.push_back(std::move(tp));
      }
      continue;
    }
    c.any_of.push_back(std::move(*p));
  }
  // UCUM quantities are also indexed in their canonical unit, as "<code>:canonical".
  if (sp->kind == ParamType::Quantity &&
      std::any_of(c.any_of.begin(), c.any_of.end(), [](const SearchPredicate& p) { return p.system == search::kUcumSystem; }))
    c.also_params.push_back(sp->code + ":canonical");
  return c;
}

// _include / _revinclude value: Source:param[:Target], Source:* ; `iterate` from the modifier.
std::optional<IncludeSpec> parse_include(const SearchContext& ctx, std::string_view value, bool iterate,
                                         std::string& why) {
  IncludeSpec inc;
  inc.iterate = iterate;
  auto parts = search::split_escaped(value, ':');
  if (parts.size() < 2 || parts.size() > 3) {
    why = "'" + std::string(value) + "' is not <type>:<reference parameter>[:<target type>]";
    return std::nullopt;
  }
  inc.source_type = std::string(parts[0]);
  inc.param = std::string(parts[1]);
  if (parts.size() == 3) inc.target_type = std::string(parts[2]);
  if (!ctx.definitions->is_resource_type(inc.source_type) ||
      (!inc.target_type.empty() && !ctx.definitions->is_resource_type(inc.target_type))) {
    why = "unknown resource type in '" + std::string(value) + "'";
    return std::nullopt;
  }
  if (inc.param != "*") {
    const search::SearchParam* sp = ctx.params ? ctx.params->find(inc.source_type, inc.param) : nullptr;
    if (!sp || sp->kind != ParamType::Reference) {
      why = "'" + inc.param + "' is not a reference parameter of " + inc.source_type;
      return std::nullopt;
    }
  }
  return inc;
}

}  // namespace

bool indexed_composite(const search::SearchParam& p) {
  if (p.components.size() != 2 && p.components.size() != 3) return false;
  for (const auto& c : p.components)
    if (c.param == nullptr || !c.compiled_ok) return false;
  const ParamType a = p.components[0].param->kind, b = p.components[1].param->kind;
  if (a != ParamType::Token && a != ParamType::Reference) return false;
  if (p.components.size() == 3) return b == ParamType::Number && p.components[2].param->kind == ParamType::Number;
  return b == ParamType::Token || b == ParamType::String || b == ParamType::Number || b == ParamType::Quantity ||
         b == ParamType::Date;
}

bool searchable(const search::SearchParam& p) {
  return version_param(p.code) || (p.enabled && indexed(p));
}

bool indexed(const search::SearchParam& p) {
  return !version_param(p.code) && indexed_kind(p.kind) && p.compiled_ok &&
         (p.kind != ParamType::Composite || indexed_composite(p));
}

std::vector<const search::SearchParam*> row_sources(const search::SearchParameterRegistry& params,
                                                    const std::string& type, const search::SearchParam& param) {
  std::vector<const search::SearchParam*> parts = params.union_of(type, param);
  if (!indexed(param) || !std::all_of(parts.begin(), parts.end(), [](const auto* p) { return indexed(*p); })) return {};
  return parts;
}

std::optional<Response> parse_search(const SearchContext& ctx, const std::vector<std::string>& types,
                                     const std::vector<std::pair<std::string, std::string>>& params,
                                     ParsedSearch& out) {
  SearchQuery& q = out.query;
  q.count = ctx.settings->default_count;
  // The accepted parameters, in the order the request gave them.
  std::vector<std::pair<size_t, std::string>> kept;
  size_t at = 0;
  auto keep = [&](const std::string& name, const std::string& value) {
    kept.emplace_back(at, percent_encode(name) + "=" + percent_encode(value));
  };
  auto reject = [&](const std::string& name, const std::string& why) -> std::optional<Response> {
    if (ctx.strict) return outcome_response(400, {{"error", "not-supported", why, {name}}});
    out.warnings.push_back({"warning", "not-supported", why + "; ignored", {}});
    return std::nullopt;
  };
  auto invalid = [](const std::string& name, const std::string& why) {
    return outcome_response(400, {{"error", "invalid", why, {name}}});
  };

  // The types searched: the one of a type-level search, or (system search) _type's or all.
  std::vector<std::string> searched = types;
  if (types.empty()) {
    for (const auto& [name, value] : params)
      if (name == "_type")
        for (std::string_view t : search::split_escaped(value, ',')) {
          std::string type(t);
          if (!ctx.definitions->is_resource_type(type)) return invalid("_type", "Unknown resource type '" + type + "'");
          searched.push_back(type);
        }
  }
  const bool system = types.empty();

  std::vector<std::pair<std::string, std::string>> clause_params;
  std::vector<size_t> clause_at;
  for (size_t i = 0; i < params.size(); ++i) {
    const auto& [name, value] = params[i];
    at = i;
    if (name == "_count") {
      int64_t n;
      if (!parse_int(value, n) || n < 0) return invalid("_count", "_count must be a non-negative integer");
      if (n > ctx.settings->max_count) {
        out.warnings.push_back({"warning", "informational",
                                "_count " + value + " exceeds the maximum " + std::to_string(ctx.settings->max_count) +
                                    "; " + std::to_string(ctx.settings->max_count) + " used",
                                {}});
        n = ctx.settings->max_count;
      }
      q.count = static_cast<int>(n);
      keep(name, value);
    } else if (name == "_total") {
      if (value != "none" && value != "estimate" && value != "accurate")
        return invalid("_total", "_total must be none, estimate or accurate");
      q.with_total = value != "none";
      keep(name, value);
    } else if (name == "_cursor") {
      if (!parse_cursor(value, q.after_keys, q.after, q.snapshot_seq, q.backward))
        return invalid("_cursor", "_cursor is not a valid paging cursor");
      out.cursor = value;
    } else if (name == "_offset") {
      int64_t n;
      if (!parse_int(value, n) || n < 0) return invalid("_offset", "_offset must be a non-negative integer");
      q.offset = n;
    } else if (name == "_format" || name == "_pretty" || name == "_type") {
      if (name == "_type") keep(name, value);
    } else if (name == "_summary") {
      auto mode = parse_summary(value);
      if (!mode) return invalid("_summary", "_summary must be true, text, data, count or false");
      if (*mode == SummaryMode::Count) {
        out.summary_count = true;
        q.with_total = true;
      }
      out.subsetting.summary = *mode;
      keep(name, value);
    } else if (name == "_elements") {
      for (std::string_view e : search::split_escaped(value, ',')) {
        std::string el(e);
        if (auto dot = el.find('.'); dot != std::string::npos) el = el.substr(dot + 1);  // Patient.name -> name
        if (!el.empty()) out.subsetting.elements.push_back(el);
      }
      keep(name, value);
    } else if (name == "_include" || name.starts_with("_include:") || name == "_revinclude" ||
               name.starts_with("_revinclude:")) {
      const bool rev = name.starts_with("_revinclude");
      const std::string_view mod = name.find(':') == std::string::npos ? "" : std::string_view(name).substr(name.find(':') + 1);
      if (!mod.empty() && mod != "iterate" && mod != "recurse") {
        if (auto bad = reject(name, "Modifier ':" + std::string(mod) + "' is not known on " + name)) return bad;
        continue;
      }
      std::string why;
      auto inc = parse_include(ctx, value, !mod.empty(), why);
      if (!inc) {
        if (auto bad = reject(name, "Invalid " + std::string(rev ? "_revinclude" : "_include") + ": " + why)) return bad;
        continue;
      }
      (rev ? out.revinclude : out.include).push_back(std::move(*inc));
      keep(name, value);
    } else if (name == "_sort") {
      for (std::string_view part : search::split_escaped(value, ',')) {
        SearchSort s;
        if (part.starts_with("-")) {
          s.descending = true;
          part.remove_prefix(1);
        }
        s.param = std::string(part);
        if (s.param != "_id" && s.param != "_lastUpdated") {
          const search::SearchParam* sp =
              searched.size() == 1 && ctx.params ? ctx.params->find(searched[0], s.param) : nullptr;
          if (!sp || !searchable(*sp) || sp->kind == ParamType::Composite) {
            if (auto bad = reject(name, "Cannot sort by '" + s.param + "'" +
                                            (searched.size() == 1 ? " on " + searched[0] : " across types")))
              return bad;
            continue;
          }
          s.kind = index_kind(sp->kind);
          // A parameter without rows of its own sorts by its parts' values.
          if (auto parts = row_sources(*ctx.params, searched[0], *sp); !parts.empty()) {
            s.param = parts[0]->code;
            for (size_t i = 1; i < parts.size(); ++i) s.also_params.push_back(parts[i]->code);
          }
        }
        q.sort.push_back(std::move(s));
      }
      keep(name, value);
    } else if (name == "_contained") {
      if (value != "false" && value != "true" && value != "both")
        return invalid(name, "_contained must be true, false or both");
      out.contained = value == "true"   ? ParsedSearch::Contained::Only
                      : value == "both" ? ParsedSearch::Contained::Both
                                        : ParsedSearch::Contained::Off;
      keep(name, value);
    } else if (name == "_containedType") {
      if (value != "container" && value != "contained")
        return invalid(name, "_containedType must be container or contained");
      out.as_contained = value == "contained";
      keep(name, value);
    } else if (name == "_text" || name == "_content" || name == "_query") {
      if (auto bad = reject(name, "Search parameter '" + name + "' is not supported")) return bad;
    } else {
      clause_params.emplace_back(name, value);
      clause_at.push_back(i);
    }
  }

  if (q.after > 0 && q.after_keys.size() != q.sort.size())
    return invalid("_cursor", "_cursor does not belong to this search's _sort");

  // Clauses, per type searched (a system search keeps those every type understands).
  Parser parser(ctx, out);
  std::vector<std::string> per_type = searched;
  if (system && per_type.empty()) per_type.push_back("Resource");  // parse once against Resource's parameters
  std::vector<SearchFilter> filters;
  for (const std::string& t : per_type) filters.push_back({t, {}});
  for (size_t ci = 0; ci < clause_params.size(); ++ci) {
    const auto& [name, value] = clause_params[ci];
    at = clause_at[ci];
    std::vector<SearchClause> made;
    std::string why;
    if (name == "_filter") {
      std::string syntax;
      auto expr = search::parse_filter(value, syntax);
      if (!expr) return invalid(name, "Invalid _filter: " + syntax);
      std::vector<std::vector<SearchClause>> per;
      FilterFailure failure;
      for (const std::string& t : per_type) {
        auto cs = parser.filter(t, *expr, failure);
        if (!cs) break;
        per.push_back(std::move(*cs));
      }
      if (per.size() != per_type.size()) {
        // A malformed value is a 400 in any mode; what this server cannot answer depends on handling.
        if (!failure.unsupported) return invalid(name, "Invalid _filter: " + failure.why);
        if (auto bad = reject(name, "_filter: " + failure.why)) return bad;
        continue;
      }
      for (size_t i = 0; i < per.size(); ++i)
        for (auto& c : per[i]) filters[i].clauses.push_back(std::move(c));
      keep(name, value);
      continue;
    }
    for (const std::string& t : per_type) {
      auto c = parser.clause(t, name, value, 0);
      if (!c) {
        why = parser.why;
        break;
      }
      made.push_back(std::move(*c));
    }
    if (made.size() != per_type.size()) {
      // A malformed value is a 400 in any mode; an unknown parameter depends on handling.
      if (why.starts_with("Invalid value")) return invalid(name, why);
      if (auto bad = reject(name, why)) return bad;
      continue;
    }
    for (size_t i = 0; i < made.size(); ++i) filters[i].clauses.push_back(std::move(made[i]));
    out.matched.emplace_back(name, value);
    keep(name, value);
  }

  std::sort(kept.begin(), kept.end());
  for (const auto& [i, text] : kept) out.kept += (out.kept.empty() ? "" : "&") + text;

  if (!system) {
    q.type = searched[0];
    q.clauses = std::move(filters[0].clauses);
  } else if (!searched.empty()) {
    q.types = std::move(filters);
  } else {
    q.clauses = std::move(filters[0].clauses);  // every stored type
  }
  return std::nullopt;
}

}  // namespace healthd::fhir
