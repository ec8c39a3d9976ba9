#include "search/search_parameters.h"

#include <algorithm>
#include <cctype>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "json/json.h"

namespace healthd::search {

namespace {

constexpr std::pair<std::string_view, ParamType> kTypes[] = {
    {"number", ParamType::Number},       {"date", ParamType::Date},         {"string", ParamType::String},
    {"token", ParamType::Token},         {"reference", ParamType::Reference}, {"composite", ParamType::Composite},
    {"quantity", ParamType::Quantity},   {"uri", ParamType::Uri},           {"special", ParamType::Special},
};

std::string key(std::string_view type, std::string_view code) {
  std::string k;
  k.reserve(type.size() + 1 + code.size());
  k.append(type).push_back('\x1f');
  k.append(code);
  return k;
}

std::vector<std::string> string_array(const json::Value& obj, const char* name) {
  std::vector<std::string> out;
  const json::Value* a = json::get_member(obj, name);
  if (a == nullptr || !a->IsArray()) return out;
  for (const auto& v : a->GetArray())
    if (v.IsString()) out.emplace_back(v.GetString(), v.GetStringLength());
  return out;
}

// Types that are Resource but not DomainResource: no _text.
bool is_domain_resource(std::string_view type) {
  return type != "Bundle" && type != "Binary" && type != "Parameters" && type != "Resource";
}

// The top-level operands of a union `a | b | (c | d)` -> {"a", "b", "(c | d)"}.
std::vector<std::string_view> union_operands(std::string_view expr) {
  std::vector<std::string_view> out;
  int depth = 0;
  size_t start = 0;
  for (size_t i = 0; i < expr.size(); ++i) {
    const char c = expr[i];
    if (c == '\'' || c == '`') {  // skip a quoted string or identifier
      for (++i; i < expr.size() && expr[i] != c; ++i)
        if (expr[i] == '\\') ++i;
    } else if (c == '(' || c == '[' || c == '{') {
      ++depth;
    } else if (c == ')' || c == ']' || c == '}') {
      --depth;
    } else if (c == '|' && depth == 0) {
      out.push_back(expr.substr(start, i - start));
      start = i + 1;
    }
  }
  out.push_back(expr.substr(start));
  return out;
}

// The resource type an operand starts from ("(Observation.value as Quantity)" -> "Observation").
std::string_view operand_root(std::string_view operand) {
  size_t i = 0;
  while (i < operand.size() && (operand[i] == ' ' || operand[i] == '(')) ++i;
  size_t j = i;
  while (j < operand.size() && (std::isalnum(static_cast<unsigned char>(operand[j])) || operand[j] == '_')) ++j;
  return operand.substr(i, j - i);
}

// A shared parameter's expression (`AllergyIntolerance.code | Condition.code | Observation.code`)
// narrowed to the operands that can apply to `type`; empty when nothing is dropped.
std::string narrowed_expression(const SearchParam& p, const std::string& type) {
  std::vector<std::string_view> operands = union_operands(p.expression);
  if (operands.size() < 2) return {};
  std::string out;
  size_t kept = 0;
  for (std::string_view op : operands) {
    std::string_view root = operand_root(op);
    const bool other_base =
        root != type && std::find(p.base.begin(), p.base.end(), root) != p.base.end();
    if (other_base) continue;
    if (!out.empty()) out += " | ";
    // Trim the spaces around the operand.
    while (!op.empty() && op.front() == ' ') op.remove_prefix(1);
    while (!op.empty() && op.back() == ' ') op.remove_suffix(1);
    out += op;
    ++kept;
  }
  if (kept == operands.size() || kept == 0) return {};
  return out;
}

// An operand without surrounding spaces and redundant outer parentheses:
// " (Observation.value.ofType(Quantity))" -> "Observation.value.ofType(Quantity)".
std::string_view bare_operand(std::string_view op) {
  for (;;) {
    while (!op.empty() && op.front() == ' ') op.remove_prefix(1);
    while (!op.empty() && op.back() == ' ') op.remove_suffix(1);
    if (op.size() < 2 || op.front() != '(' || op.back() != ')') return op;
    int depth = 0;
    for (size_t i = 0; i < op.size(); ++i) {
      if (op[i] == '(') ++depth;
      if (op[i] == ')' && --depth == 0 && i + 1 < op.size()) return op;  // "(a) | (b)": not one group
    }
    op = op.substr(1, op.size() - 2);
  }
}

std::vector<std::string_view> bare_operands(const SearchParam& p) {
  std::vector<std::string_view> ops;
  for (std::string_view op : union_operands(p.expression)) ops.push_back(bare_operand(op));
  std::sort(ops.begin(), ops.end());
  ops.erase(std::unique(ops.begin(), ops.end()), ops.end());
  return ops;
}

// Composites index pairs of component values: the same components (expression and kind) give the
// same pairs for the same items.
bool same_components(const SearchParam& a, const SearchParam& b) {
  if (a.components.size() != b.components.size()) return false;
  for (size_t i = 0; i < a.components.size(); ++i) {
    const Component &x = a.components[i], &y = b.components[i];
    if (x.expression != y.expression || !x.param || !y.param || x.param->kind != y.param->kind) return false;
  }
  return true;
}

}  // namespace

bool parse_param_type(std::string_view name, ParamType& out) {
  for (const auto& [n, t] : kTypes)
    if (n == name) {
      out = t;
      return true;
    }
  return false;
}

std::string_view param_type_name(ParamType t) {
  for (const auto& [n, k] : kTypes)
    if (k == t) return n;
  return "special";
}

std::shared_ptr<const SearchParameterRegistry> SearchParameterRegistry::load(const std::string& definitions_dir) {
  const std::string file = definitions_dir + "/search-parameters.json";
  std::ifstream in(file, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + file);
  std::stringstream ss;
  ss << in.rdbuf();
  return from_bundle(ss.str(), file);
}

std::unique_ptr<SearchParam> SearchParameterRegistry::parse_definition(const json::Value& r,
                                                                      std::vector<std::string>& errors) {
  auto p = std::make_unique<SearchParam>();
  p->url = std::string(json::get_string(r, "url").value_or(""));
  p->code = std::string(json::get_string(r, "code").value_or(""));
  p->type = std::string(json::get_string(r, "type").value_or(""));
  p->expression = std::string(json::get_string(r, "expression").value_or(""));
  p->base = string_array(r, "base");
  p->target = string_array(r, "target");
  if (p->code.empty() || p->base.empty()) {
    errors.push_back(p->url + ": no code or base");
    return nullptr;
  }
  if (!parse_param_type(p->type, p->kind)) errors.push_back(p->url + ": unknown type '" + p->type + "'");
  if (!p->expression.empty()) {
    std::string perr;
    if (auto ex = fhirpath::Expression::parse(p->expression, &perr)) {
      p->compiled = std::move(*ex);
      p->compiled_ok = true;
    } else {
      errors.push_back(p->url + ": " + p->expression + ": " + perr);
    }
  }
  if (const json::Value* comps = json::get_member(r, "component"); comps != nullptr && comps->IsArray()) {
    for (const auto& c : comps->GetArray()) {
      if (!c.IsObject()) continue;
      Component comp;
      comp.definition = std::string(json::get_string(c, "definition").value_or(""));
      comp.expression = std::string(json::get_string(c, "expression").value_or(""));
      if (!p->expression.empty() && !comp.expression.empty()) {
        std::string text = "(" + p->expression + ")[%index].select(" + comp.expression + ")";
        std::string perr;
        if (auto ex = fhirpath::Expression::parse(text, &perr)) {
          comp.compiled = std::move(*ex);
          comp.compiled_ok = true;
        } else {
          errors.push_back(p->url + ": component " + comp.expression + ": " + perr);
        }
      }
      p->components.push_back(std::move(comp));
    }
  }
  return p;
}

std::shared_ptr<const SearchParameterRegistry> SearchParameterRegistry::from_bundle(std::string_view text,
                                                                                    const std::string& source) {
  json::Document doc;
  std::string err;
  if (!json::parse(text, doc, &err)) throw std::runtime_error(source + ": " + err);
  const json::Value* entries = doc.IsObject() ? json::get_member(doc, "entry") : nullptr;
  if (entries == nullptr || !entries->IsArray()) throw std::runtime_error(source + ": not a Bundle with entries");

  auto reg = std::shared_ptr<SearchParameterRegistry>(new SearchParameterRegistry());
  for (const auto& e : entries->GetArray()) {
    const json::Value* r = e.IsObject() ? json::get_member(e, "resource") : nullptr;
    if (r == nullptr || !r->IsObject()) continue;
    auto rt = json::get_string(*r, "resourceType");
    if (!rt || *rt != "SearchParameter") continue;
    if (auto p = parse_definition(*r, reg->errors_)) reg->params_.push_back(std::move(p));
  }
  reg->build_maps();
  return reg;
}

std::shared_ptr<const SearchParameterRegistry> SearchParameterRegistry::with_custom(
    std::shared_ptr<const SearchParameterRegistry> base, std::vector<std::unique_ptr<SearchParam>> custom) {
  auto reg = std::shared_ptr<SearchParameterRegistry>(new SearchParameterRegistry());
  reg->base_ = std::move(base);
  reg->params_ = std::move(custom);
  reg->build_maps();
  return reg;
}

void SearchParameterRegistry::build_maps() {
  // A parameter shared by many types evaluates, per type, only its operands for that type:
  // `patient` on an Observation runs one branch of a union of thirty (most of the cost of
  // indexing a write otherwise).
  for (const auto& p : params_) {
    if (!p->url.empty()) by_url_.emplace(p->url, p.get());
    for (const auto& b : p->base) {
      const SearchParam* for_type = p.get();
      if (p->base.size() > 1 && p->compiled_ok && p->components.empty()) {
        if (std::string expr = narrowed_expression(*p, b); !expr.empty()) {
          if (auto ex = fhirpath::Expression::parse(expr, nullptr)) {
            auto n = std::make_unique<SearchParam>();
            n->url = p->url;
            n->code = p->code;
            n->type = p->type;
            n->kind = p->kind;
            n->base = p->base;
            n->target = p->target;
            n->expression = std::move(expr);
            n->compiled = std::move(*ex);
            n->compiled_ok = true;
            n->custom = p->custom;
            n->enabled = p->enabled;
            for_type = n.get();
            narrowed_.push_back(std::move(n));
          }
        }
      }
      by_type_code_.emplace(key(b, p->code), for_type);
      by_type_[b].push_back(for_type);
    }
  }
  for (const auto& p : params_) {
    for (auto& c : p->components) {
      c.param = by_url(c.definition);  // reset when unknown: a definition may have been deleted
      if (!c.param) errors_.push_back(p->url + ": component definition " + c.definition + " unknown");
    }
  }
  for (auto& [t, list] : by_type_)
    std::sort(list.begin(), list.end(), [](const SearchParam* a, const SearchParam* b) { return a->code < b->code; });
  if (!base_) find_unions();
}

void SearchParameterRegistry::find_unions() {
  for (const auto& [type, list] : by_type_) {
    // Fewer operands first: a union found is never a part of a larger one (its own parts are).
    std::vector<std::pair<const SearchParam*, std::vector<std::string_view>>> params;
    for (const SearchParam* p : list)
      if (p->compiled_ok && !p->expression.empty() && p->kind != ParamType::Reference && p->kind != ParamType::Special)
        params.emplace_back(p, bare_operands(*p));
    std::stable_sort(params.begin(), params.end(), [](const auto& a, const auto& b) { return a.second.size() < b.second.size(); });
    for (const auto& [a, ops] : params) {
      if (ops.size() < 2) continue;
      std::vector<const SearchParam*> parts;
      std::vector<std::string_view> covered;
      for (const auto& [b, bops] : params) {
        if (bops.size() >= ops.size()) break;
        if (b->kind != a->kind || unions_.contains(key(type, b->code))) continue;
        if (a->kind == ParamType::Composite && !same_components(*a, *b)) continue;
        if (!std::includes(ops.begin(), ops.end(), bops.begin(), bops.end())) continue;
        parts.push_back(b);
        covered.insert(covered.end(), bops.begin(), bops.end());
      }
      std::sort(covered.begin(), covered.end());
      covered.erase(std::unique(covered.begin(), covered.end()), covered.end());
      if (covered == ops) unions_[key(type, a->code)] = Union{a, std::move(parts)};
    }
  }
}

std::vector<const SearchParam*> SearchParameterRegistry::union_of(std::string_view type, const SearchParam& p) const {
  if (base_) {
    // A snapshot: the base's unions, unless a custom parameter took one of the codes.
    std::vector<const SearchParam*> parts = base_->union_of(type, p);
    for (const SearchParam* part : parts)
      if (find(type, part->code) != part) return {};
    return parts;
  }
  auto it = unions_.find(key(type, p.code));
  if (it == unions_.end() || it->second.param != &p) return {};
  return it->second.parts;
}

const SearchParam* SearchParameterRegistry::find_own(std::string_view type, std::string_view code) const {
  if (by_type_code_.empty()) return nullptr;
  if (auto it = by_type_code_.find(key(type, code)); it != by_type_code_.end()) return it->second;
  if (is_domain_resource(type))
    if (auto it = by_type_code_.find(key("DomainResource", code)); it != by_type_code_.end()) return it->second;
  if (auto it = by_type_code_.find(key("Resource", code)); it != by_type_code_.end()) return it->second;
  return nullptr;
}

const SearchParam* SearchParameterRegistry::find(std::string_view type, std::string_view code) const {
  if (const SearchParam* p = find_own(type, code)) return p;
  return base_ ? base_->find(type, code) : nullptr;
}

const SearchParam* SearchParameterRegistry::by_url(std::string_view url) const {
  if (auto it = by_url_.find(url); it != by_url_.end()) return it->second;
  return base_ ? base_->by_url(url) : nullptr;
}

std::vector<const SearchParam*> SearchParameterRegistry::for_type(std::string_view type) const {
  std::vector<const SearchParam*> out;
  if (base_) out = base_->for_type(type);
  auto add = [&](std::string_view t) {
    if (auto it = by_type_.find(t); it != by_type_.end()) out.insert(out.end(), it->second.begin(), it->second.end());
  };
  add(type);
  if (type != "Resource" && type != "DomainResource") {
    if (is_domain_resource(type)) add("DomainResource");
    add("Resource");
  }
  return out;
}

std::string definition_key(const SearchParam& p) {
  std::string k = p.code + '\x1f' + p.type + '\x1f';
  for (const auto& b : p.base) k += b + ",";
  k += '\x1f' + p.expression + '\x1f';
  for (const auto& t : p.target) k += t + ",";
  for (const auto& c : p.components) k += '\x1f' + c.definition + "=" + c.expression;
  return k;
}

}  // namespace healthd::search
