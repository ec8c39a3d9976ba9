#include "fhir/search_filter.h"

#include "common/time.h"
#include "search/search_parameters.h"

namespace healthd::fhir {

namespace {

using search::FilterExpr;
using search::FilterOp;
using search::ParamType;

// Reference hops a path may take (subject.organization.partof.name: three), as URL chains.
constexpr size_t kMaxPathSteps = 5;

// A filter value as one URL parameter value: its commas are not value separators.
std::string url_value(std::string_view v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == ',') out += '\\';
    out += c;
  }
  return out;
}

// The URL prefix of a comparison on dates, numbers and quantities ("" when it has none).
std::optional<std::string_view> prefix_of(FilterOp op) {
  switch (op) {
    case FilterOp::Eq: return "eq";
    case FilterOp::Ne: return "ne";
    case FilterOp::Gt: return "gt";
    case FilterOp::Lt: return "lt";
    case FilterOp::Ge: return "ge";
    case FilterOp::Le: return "le";
    case FilterOp::Sa: return "sa";
    case FilterOp::Eb: return "eb";
    case FilterOp::Ap: return "ap";
    default: return std::nullopt;
  }
}

SearchClause negated(const std::string& type, SearchClause c) {
  SearchClause n;
  n.negate = true;
  n.groups.push_back(SearchFilter{type, {std::move(c)}});
  return n;
}

class Compiler {
 public:
  Compiler(const FilterResolver& r, FilterFailure& failure) : r_(r), failure_(failure) {}

  // Appends the clauses (AND) that e means on type; false with failure_ set when it cannot.
  bool all(const FilterExpr& e, const std::string& type, std::vector<SearchClause>& out) {
    switch (e.kind) {
      case FilterExpr::Kind::And:
        for (const auto& c : e.children)
          if (!all(c, type, out)) return false;
        return true;
      case FilterExpr::Kind::Or:
      case FilterExpr::Kind::Not: {
        SearchClause g;
        g.negate = e.kind == FilterExpr::Kind::Not;
        for (const auto& c : e.children) {
          SearchFilter f{type, {}};
          if (!all(c, type, f.clauses)) return false;
          g.groups.push_back(std::move(f));
        }
        out.push_back(std::move(g));
        return true;
      }
      case FilterExpr::Kind::Compare:
        if (e.path.size() > kMaxPathSteps)
          return invalid("a parameter path has at most " + std::to_string(kMaxPathSteps) + " steps");
        return compare(e, 0, type, out);
    }
    return false;
  }

 private:
  bool unsupported(std::string why) {
    failure_.why = std::move(why);
    failure_.unsupported = true;
    return false;
  }
  bool invalid(std::string why) {
    failure_.why = std::move(why);
    failure_.unsupported = false;
    return false;
  }

  // Path step i of e on type: the comparison itself (last step), or a reference followed into
  // its targets, where the step's [filter] and the rest of the path must match.
  bool compare(const FilterExpr& e, size_t i, const std::string& type, std::vector<SearchClause>& out) {
    const search::FilterPathStep& step = e.path[i];
    const bool last = i + 1 == e.path.size();
    if (last && !step.filter) return leaf(type, step.name, e.op, e.value, out);
    const search::SearchParam* sp = r_.param(type, step.name);
    if (sp == nullptr) return unsupported("Unknown or unsupported search parameter '" + step.name + "' for " + type);
    if (sp->kind != ParamType::Reference)
      return unsupported("'" + step.name + "' is not a reference parameter of " + type +
                         ", so a [filter] or '.' cannot follow it in _filter");
    SearchClause chain;
    chain.param = sp->code;
    chain.kind = IndexRow::Kind::Reference;
    FilterFailure first;
    for (const std::string& target : sp->target) {
      FilterFailure here;
      Compiler sub(r_, here);
      SearchFilter f{target, {}};
      bool ok = !step.filter || sub.all(*step.filter, target, f.clauses);
      if (ok && !last) ok = sub.compare(e, i + 1, target, f.clauses);
      if (ok) {
        chain.chain.push_back(std::move(f));
      } else if (first.why.empty()) {
        first = here;  // a target without that parameter: the path cannot go through it
      }
    }
    if (chain.chain.empty()) {
      failure_ = first.why.empty() ? FilterFailure{"'" + step.name + "' has no target type to follow", true} : first;
      return false;
    }
    out.push_back(std::move(chain));
    // ref[filter] op value: the reference itself is compared too.
    return !last || leaf(type, step.name, e.op, e.value, out);
  }

  std::optional<SearchClause> resolve(const std::string& type, const std::string& name, const std::string& value) {
    std::string why;
    auto c = r_.clause(type, name, value, why);
    if (!c) {
      failure_.why = why;
      failure_.unsupported = !why.starts_with("Invalid value");
    }
    return c;
  }

  bool push(std::optional<SearchClause> c, std::vector<SearchClause>& out) {
    if (!c) return false;
    out.push_back(std::move(*c));
    return true;
  }

  // Every predicate of c of kind `from` becomes `to` (string eq: the whole value, not a prefix).
  static SearchClause retarget(SearchClause c, SearchPredicate::Kind from, SearchPredicate::Kind to) {
    for (auto& p : c.any_of)
      if (p.kind == from) p.kind = to;
    return c;
  }

  bool leaf(const std::string& type, const std::string& name, FilterOp op, const std::string& value,
            std::vector<SearchClause>& out) {
    const search::SearchParam* sp = r_.param(type, name);
    if (sp == nullptr) return unsupported("Unknown or unsupported search parameter '" + name + "' for " + type);
    if (op == FilterOp::Pr) {
      if (value != "true" && value != "false") return invalid("'" + name + " pr' takes true or false");
      return push(resolve(type, name + ":missing", value == "true" ? "false" : "true"), out);
    }
    const std::string v = url_value(value);
    auto eq = [&]() { return resolve(type, name, v); };
    auto eq_negated = [&]() -> bool {
      auto c = eq();
      if (!c) return false;
      out.push_back(negated(type, std::move(*c)));
      return true;
    };
    const bool id = sp->code == "_id";
    switch (sp->kind) {
      case ParamType::String:
        switch (op) {
          case FilterOp::Eq:
            if (auto c = eq()) return push(retarget(std::move(*c), SearchPredicate::Kind::Prefix, SearchPredicate::Kind::Text), out);
            return false;
          case FilterOp::Ne:
            if (auto c = eq()) {
              out.push_back(negated(type, retarget(std::move(*c), SearchPredicate::Kind::Prefix, SearchPredicate::Kind::Text)));
              return true;
            }
            return false;
          case FilterOp::Sw: return push(eq(), out);
          case FilterOp::Co: return push(resolve(type, name + ":contains", v), out);
          case FilterOp::Ew:
            if (auto c = resolve(type, name + ":contains", v))
              return push(retarget(std::move(*c), SearchPredicate::Kind::Contains, SearchPredicate::Kind::Suffix), out);
            return false;
          default: break;
        }
        break;
      case ParamType::Token:
        switch (op) {
          case FilterOp::Eq: return push(eq(), out);
          case FilterOp::Ne: return id ? eq_negated() : push(resolve(type, name + ":not", v), out);
          case FilterOp::In: if (!id) return push(resolve(type, name + ":in", v), out); break;
          case FilterOp::Ni: if (!id) return push(resolve(type, name + ":not-in", v), out); break;
          // ss: the value subsumes the resource's code (code is below it); sb: the reverse.
          case FilterOp::Ss: if (!id) return push(resolve(type, name + ":below", v), out); break;
          case FilterOp::Sb: if (!id) return push(resolve(type, name + ":above", v), out); break;
          default: break;
        }
        break;
      case ParamType::Reference:
        if (op == FilterOp::Eq || op == FilterOp::Re) return push(eq(), out);
        if (op == FilterOp::Ne) return eq_negated();
        break;
      case ParamType::Uri:
        if (op == FilterOp::Eq) return push(eq(), out);
        if (op == FilterOp::Ne) return eq_negated();
        if (op == FilterOp::Sw || op == FilterOp::Ss) return push(resolve(type, name + ":below", v), out);
        if (op == FilterOp::Sb) return push(resolve(type, name + ":above", v), out);
        break;
      case ParamType::Date:
        if (op == FilterOp::Po) return overlaps(type, name, value, out);
        [[fallthrough]];
      case ParamType::Number:
      case ParamType::Quantity:
        if (auto prefix = prefix_of(op)) return push(resolve(type, name, std::string(*prefix) + v), out);
        break;
      case ParamType::Composite:
        if (op == FilterOp::Eq) return push(eq(), out);
        break;
      default: break;
    }
    return unsupported("_filter operator '" + std::string(search::filter_op_name(op)) + "' is not supported on '" +
                       name + "' (a " + std::string(search::param_type_name(sp->kind)) + " parameter)");
  }

  // date po value: the resource's period and the value's range overlap.
  bool overlaps(const std::string& type, const std::string& name, const std::string& value,
                std::vector<SearchClause>& out) {
    auto range = parse_fhir_datetime_range(value);
    auto c = resolve(type, name, "eq" + value);
    if (!c) return false;
    if (!range) return invalid("'" + value + "' is not a FHIR date or dateTime");
    for (auto& p : c->any_of) {
      SearchBound below, above;
      below.column = SearchBound::Column::Low;
      below.op = SearchBound::Op::Lt;
      below.i = range->end_us;
      above.column = SearchBound::Column::High;
      above.op = SearchBound::Op::Gt;
      above.i = range->start_us;
      p.any_of = {{below, above}};
      p.negate = false;
    }
    out.push_back(std::move(*c));
    return true;
  }

  const FilterResolver& r_;
  FilterFailure& failure_;
};

}  // namespace

std::optional<std::vector<SearchClause>> compile_filter(const search::FilterExpr& expr, const std::string& type,
                                                        const FilterResolver& resolver, FilterFailure& failure) {
  std::vector<SearchClause> out;
  if (!Compiler(resolver, failure).all(expr, type, out)) return std::nullopt;
  return out;
}

}  // namespace healthd::fhir
