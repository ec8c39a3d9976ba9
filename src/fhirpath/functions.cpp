// FHIRPath functions.
#include <algorithm>
#include <cmath>
#include <regex>

#include "fhir/definitions.h"
#include "fhirpath/eval.h"

namespace healthd::fhirpath {
namespace {

struct Scope {
  const Value*& this_ref;
  int64_t& index_ref;
  const Value* saved_this;
  int64_t saved_index;
  Scope(const Value*& t, int64_t& i) : this_ref(t), index_ref(i), saved_this(t), saved_index(i) {}
  ~Scope() {
    this_ref = saved_this;
    index_ref = saved_index;
  }
};

std::string lower(std::string_view s) {
  std::string o(s);
  for (auto& c : o) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return o;
}

bool parse_int(std::string_view s, int64_t& out) {
  size_t i = 0;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
  if (i == s.size()) return false;
  for (size_t k = i; k < s.size(); ++k)
    if (!std::isdigit(static_cast<unsigned char>(s[k]))) return false;
  try {
    out = std::stoll(std::string(s));
  } catch (...) {
    return false;
  }
  return true;
}

bool parse_dec(std::string_view s, double& out, int& scale) {
  size_t i = 0;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
  size_t d = i;
  while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i;
  if (i == d) return false;
  scale = 0;
  if (i < s.size() && s[i] == '.') {
    size_t f = ++i;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i;
    if (i == f) return false;
    scale = static_cast<int>(i - f);
  }
  if (i != s.size()) return false;
  out = std::stod(std::string(s));
  return true;
}

Value plain(const Value& v) {
  Value r = v;
  r.node = nullptr;
  r.ext = nullptr;
  r.fhir_type = {};
  r.model = nullptr;
  if (v.kind == Kind::String) r.text = std::string(v.str());
  return r;
}

std::optional<Value> to_boolean(const Value& v) {
  switch (v.kind) {
    case Kind::Boolean: return Value::of_bool(v.boolean);
    case Kind::Integer:
      if (v.integer == 0 || v.integer == 1) return Value::of_bool(v.integer == 1);
      return std::nullopt;
    case Kind::Decimal:
      if (v.decimal == 0.0 || v.decimal == 1.0) return Value::of_bool(v.decimal == 1.0);
      return std::nullopt;
    case Kind::String: {
      std::string s = lower(v.str());
      if (s == "true" || s == "t" || s == "yes" || s == "y" || s == "1" || s == "1.0") return Value::of_bool(true);
      if (s == "false" || s == "f" || s == "no" || s == "n" || s == "0" || s == "0.0") return Value::of_bool(false);
      return std::nullopt;
    }
    default: return std::nullopt;
  }
}

std::optional<Value> to_integer(const Value& v) {
  switch (v.kind) {
    case Kind::Integer: return Value::of_int(v.integer);
    case Kind::Boolean: return Value::of_int(v.boolean ? 1 : 0);
    case Kind::String: {
      int64_t i;
      if (parse_int(v.str(), i)) return Value::of_int(i);
      return std::nullopt;
    }
    default: return std::nullopt;
  }
}

std::optional<Value> to_decimal(const Value& v) {
  switch (v.kind) {
    case Kind::Integer: return Value::of_decimal(static_cast<double>(v.integer), 0);
    case Kind::Decimal: return Value::of_decimal(v.decimal, v.scale);
    case Kind::Boolean: return Value::of_decimal(v.boolean ? 1.0 : 0.0, 1);
    case Kind::String: {
      double d;
      int s;
      if (parse_dec(v.str(), d, s)) return Value::of_decimal(d, s);
      return std::nullopt;
    }
    default: return std::nullopt;
  }
}

std::optional<Value> to_string_value(const Value& v) {
  if (v.kind == Kind::Object || v.kind == Kind::TypeInfo) return std::nullopt;
  return Value::of_string(to_string(v));
}

std::optional<Value> to_temporal(const Value& v, Kind want) {
  Value r;
  r.kind = want;
  if (v.kind == want) {
    r.temporal = v.temporal;
    return r;
  }
  if (v.kind == Kind::String) {
    if (parse_temporal(v.str(), want, r.temporal)) return r;
    if (want == Kind::Date && parse_temporal(v.str(), Kind::DateTime, r.temporal)) {
      if (r.temporal.precision > Precision::Day) r.temporal.precision = Precision::Day;
      r.temporal.has_tz = false;
      return r;
    }
    return std::nullopt;
  }
  if (want == Kind::DateTime && v.kind == Kind::Date) {
    r.temporal = v.temporal;
    return r;
  }
  if (want == Kind::Date && v.kind == Kind::DateTime) {
    r.temporal = v.temporal;
    if (r.temporal.precision > Precision::Day) r.temporal.precision = Precision::Day;
    r.temporal.has_tz = false;
    return r;
  }
  return std::nullopt;
}

std::optional<Value> to_quantity(const Value& v, const std::string* unit) {
  Value q;
  switch (v.kind) {
    case Kind::Integer:
    case Kind::Decimal:
      q.kind = Kind::Quantity;
      q.decimal = v.kind == Kind::Integer ? static_cast<double>(v.integer) : v.decimal;
      q.scale = v.kind == Kind::Integer ? 0 : v.scale;
      q.unit = "1";
      break;
    case Kind::Boolean:
      q.kind = Kind::Quantity;
      q.decimal = v.boolean ? 1.0 : 0.0;
      q.scale = 1;
      q.unit = "1";
      break;
    case Kind::String:
      if (!parse_quantity_text(v.str(), q)) return std::nullopt;
      break;
    default:
      if (!as_quantity(v, q)) return std::nullopt;
  }
  if (unit != nullptr && *unit != q.unit) {
    std::string ca, cb;
    double fa, fb;
    if (!ucum_canonical(q.unit, ca, fa) || !ucum_canonical(*unit, cb, fb) || ca != cb) return std::nullopt;
    q.decimal = q.decimal * fa / fb;
    q.unit = *unit;
    q.scale = -1;
    q.text.clear();
  }
  return q;
}

std::string_view string_input(const Value* v, const char* fn) {
  if (v->kind != Kind::String) throw EvalError(std::string(fn) + "() needs a string");
  return v->str();
}

}  // namespace

const Temporal& Evaluator::now() {
  if (!now_) {
    Temporal t;
    if (ctx_.now && parse_temporal(*ctx_.now, Kind::DateTime, t)) now_ = t;
    else now_ = now_temporal();
  }
  return *now_;
}

Items Evaluator::lambda_map(const Node& body, const Items& focus, bool select) {
  Items out;
  Scope scope(this_, index_);
  for (size_t i = 0; i < focus.size(); ++i) {
    this_ = &focus[i];
    index_ = static_cast<int64_t>(i);
    Items one{focus[i]};
    Items r = eval(body, one);
    if (select) {
      for (auto& v : r) out.push_back(std::move(v));
    } else {
      auto b = boolean(r, "where");
      if (b && *b) out.push_back(focus[i]);
    }
  }
  return out;
}

Items Evaluator::resolve(const Value& v) {
  std::string_view ref;
  if (v.kind == Kind::String) {
    ref = v.str();
  } else if (v.kind == Kind::Object && v.node != nullptr && v.node->IsObject()) {
    auto it = v.node->FindMember("reference");
    if (it == v.node->MemberEnd() || !it->value.IsString()) return {};
    ref = std::string_view(it->value.GetString(), it->value.GetStringLength());
  } else {
    return {};
  }
  if (ref.empty()) return {};
  if (ref[0] == '#') {
    std::string_view id = ref.substr(1);
    const rapidjson::Value* res = resource_.node;
    if (res == nullptr || !res->IsObject()) return {};
    if (id.empty()) return {resource_};
    auto c = res->FindMember("contained");
    if (c == res->MemberEnd() || !c->value.IsArray()) return {};
    for (const auto& r : c->value.GetArray()) {
      auto idm = r.FindMember("id");
      if (r.IsObject() && idm != r.MemberEnd() && idm->value.IsString() && idm->value.GetString() == id)
        return {from_json(&r, nullptr, nullptr)};
    }
    return {};
  }
  // Bundle entries
  for (const Value* b : {&root_, &resource_}) {
    const rapidjson::Value* res = b->node;
    if (res == nullptr || !res->IsObject() || b->fhir_type != "Bundle") continue;
    auto entries = res->FindMember("entry");
    if (entries == res->MemberEnd() || !entries->value.IsArray()) continue;
    for (const auto& e : entries->value.GetArray()) {
      if (!e.IsObject()) continue;
      auto fu = e.FindMember("fullUrl");
      auto r = e.FindMember("resource");
      if (r == e.MemberEnd() || !r->value.IsObject()) continue;
      if (fu != e.MemberEnd() && fu->value.IsString() && fu->value.GetString() == ref)
        return {from_json(&r->value, nullptr, nullptr)};
      auto rt = r->value.FindMember("resourceType");
      auto id = r->value.FindMember("id");
      if (rt != r->value.MemberEnd() && id != r->value.MemberEnd() && rt->value.IsString() && id->value.IsString()) {
        std::string_view t(rt->value.GetString()), i(id->value.GetString());
        if (ref.size() == t.size() + 1 + i.size() && ref.substr(0, t.size()) == t && ref[t.size()] == '/' &&
            ref.substr(t.size() + 1) == i)
          return {from_json(&r->value, nullptr, nullptr)};
      }
    }
  }
  // A stub whose type is the reference's type: [base/]Type/id[/_history/v]
  std::string_view path = ref;
  if (auto h = path.find("/_history/"); h != std::string_view::npos) path = path.substr(0, h);
  size_t slash = path.rfind('/');
  if (slash == std::string_view::npos || slash == 0) return {};
  std::string_view before = path.substr(0, slash);
  size_t s2 = before.rfind('/');
  std::string_view type = s2 == std::string_view::npos ? before : before.substr(s2 + 1);
  if (type.empty() || !std::isupper(static_cast<unsigned char>(type[0]))) return {};
  Value stub;
  stub.kind = Kind::Object;
  if (defs_ != nullptr) {
    const fhir::TypeModel* m = defs_->resource(type);
    if (m == nullptr) return {};
    stub.model = m;
    stub.fhir_type = m->name;
  } else {
    stub.fhir_type = type;
  }
  return {stub};
}

Items Evaluator::call(const Node& n, const Items& input) {
  Items focus_store;
  const Items* fp = &input;
  if (n.args[0]) {
    focus_store = eval(*n.args[0], input);
    fp = &focus_store;
  }
  const Items& focus = *fp;
  auto arg = [&](size_t i) { return eval(*n.args[i + 1], input); };
  auto nargs = n.args.size() - 1;
  auto b = [](bool x) { return Items{Value::of_bool(x)}; };
  auto single_arg = [&](size_t i, const char* what) -> std::optional<Value> {
    Items a = arg(i);
    const Value* v = singleton(a, what);
    if (v == nullptr) return std::nullopt;
    return *v;
  };
  auto int_arg = [&](size_t i) -> std::optional<int64_t> {
    auto v = single_arg(i, n.name.c_str());
    if (!v) return std::nullopt;
    if (v->kind != Kind::Integer) throw EvalError(n.name + "() expects an integer argument");
    return v->integer;
  };
  auto str_arg = [&](size_t i) -> std::optional<std::string> {
    auto v = single_arg(i, n.name.c_str());
    if (!v) return std::nullopt;
    if (v->kind != Kind::String) throw EvalError(n.name + "() expects a string argument");
    return std::string(v->str());
  };
  auto converts = [&](auto conv) -> Items {
    const Value* v = singleton(focus, n.name.c_str());
    if (v == nullptr) return {};
    return b(conv(*v).has_value());
  };
  auto convert = [&](auto conv) -> Items {
    const Value* v = singleton(focus, n.name.c_str());
    if (v == nullptr) return {};
    auto r = conv(*v);
    if (!r) return {};
    return {*r};
  };
  auto math = [&](auto f) -> Items {
    const Value* v = singleton(focus, n.name.c_str());
    if (v == nullptr) return {};
    if (v->kind != Kind::Integer && v->kind != Kind::Decimal && v->kind != Kind::Quantity)
      throw EvalError(n.name + "() needs a number");
    return f(*v);
  };
  auto numv = [](const Value& v) { return v.kind == Kind::Integer ? static_cast<double>(v.integer) : v.decimal; };

  switch (n.fn) {
    case Fn::Empty: return b(focus.empty());
    case Fn::Exists:
      if (nargs == 0) return b(!focus.empty());
      return b(!lambda_map(*n.args[1], focus, false).empty());
    case Fn::All: {
      Scope scope(this_, index_);
      for (size_t i = 0; i < focus.size(); ++i) {
        this_ = &focus[i];
        index_ = static_cast<int64_t>(i);
        Items one{focus[i]};
        auto r = boolean(eval(*n.args[1], one), "all");
        if (!r || !*r) return b(false);
      }
      return b(true);
    }
    case Fn::AllTrue:
    case Fn::AnyTrue:
    case Fn::AllFalse:
    case Fn::AnyFalse: {
      bool all = n.fn == Fn::AllTrue || n.fn == Fn::AllFalse;
      bool want = n.fn == Fn::AllTrue || n.fn == Fn::AnyTrue;
      for (const auto& v : focus) {
        if (v.kind != Kind::Boolean) throw EvalError(n.name + "() needs booleans");
        bool match = v.boolean == want;
        if (all && !match) return b(false);
        if (!all && match) return b(true);
      }
      return b(all);
    }
    case Fn::SubsetOf:
    case Fn::SupersetOf: {
      Items other = arg(0);
      const Items& sub = n.fn == Fn::SubsetOf ? focus : other;
      const Items& sup = n.fn == Fn::SubsetOf ? other : focus;
      for (const auto& x : sub) {
        bool found = false;
        for (const auto& y : sup) {
          auto e = equals(x, y);
          if (e && *e) {
            found = true;
            break;
          }
        }
        if (!found) return b(false);
      }
      return b(true);
    }
    case Fn::Count: return {Value::of_int(static_cast<int64_t>(focus.size()))};
    case Fn::Distinct: {
      Items out;
      for (const auto& v : focus) add_distinct(out, v);
      return out;
    }
    case Fn::IsDistinct: {
      Items out;
      for (const auto& v : focus) add_distinct(out, v);
      return b(out.size() == focus.size());
    }
    case Fn::Where: return lambda_map(*n.args[1], focus, false);
    case Fn::Select: return lambda_map(*n.args[1], focus, true);
    case Fn::Repeat: {
      Items out;
      Items current = focus;
      for (int guard = 0; guard < 10000 && !current.empty(); ++guard) {
        Items next = lambda_map(*n.args[1], current, true);
        Items fresh;
        for (auto& v : next) {
          bool seen = false;
          for (const auto& o : out) {
            auto e = equals(o, v);
            if (e && *e) {
              seen = true;
              break;
            }
          }
          if (!seen) {
            out.push_back(v);
            fresh.push_back(std::move(v));
          }
        }
        current = std::move(fresh);
      }
      return out;
    }
    case Fn::OfType: {
      Items out;
      for (const auto& v : focus)
        if (is_type(v, n.type)) out.push_back(v);
      return out;
    }
    case Fn::Single:
      if (focus.size() > 1) throw EvalError("single() on a collection of " + std::to_string(focus.size()) + " items");
      return focus;
    case Fn::First: return focus.empty() ? Items{} : Items{focus.front()};
    case Fn::Last: return focus.empty() ? Items{} : Items{focus.back()};
    case Fn::Tail: return focus.size() <= 1 ? Items{} : Items(focus.begin() + 1, focus.end());
    case Fn::Skip: {
      auto k = int_arg(0);
      if (!k) return focus;
      if (*k <= 0) return focus;
      if (static_cast<size_t>(*k) >= focus.size()) return {};
      return Items(focus.begin() + *k, focus.end());
    }
    case Fn::Take: {
      auto k = int_arg(0);
      if (!k || *k <= 0) return {};
      if (static_cast<size_t>(*k) >= focus.size()) return focus;
      return Items(focus.begin(), focus.begin() + *k);
    }
    case Fn::Intersect: {
      Items other = arg(0);
      Items out;
      for (const auto& v : focus) {
        for (const auto& o : other) {
          auto e = equals(v, o);
          if (e && *e) {
            add_distinct(out, v);
            break;
          }
        }
      }
      return out;
    }
    case Fn::Exclude: {
      Items other = arg(0);
      Items out;
      for (const auto& v : focus) {
        bool found = false;
        for (const auto& o : other) {
          auto e = equals(v, o);
          if (e && *e) {
            found = true;
            break;
          }
        }
        if (!found) out.push_back(v);
      }
      return out;
    }
    case Fn::Union: {
      Items other = arg(0);
      Items out;
      for (const auto& v : focus) add_distinct(out, v);
      for (const auto& v : other) add_distinct(out, v);
      return out;
    }
    case Fn::Combine: {
      Items out = focus;
      Items other = arg(0);
      for (auto& v : other) out.push_back(std::move(v));
      return out;
    }
    case Fn::Iif: {
      if (focus.size() > 1) throw EvalError("iif() on a collection");
      Items crit;
      {
        Scope scope(this_, index_);
        if (n.args[0] && focus.size() == 1) this_ = &focus[0];
        crit = eval(*n.args[1], n.args[0] ? focus : input);
      }
      const Value* c = singleton(crit, "iif");
      if (c != nullptr && c->kind != Kind::Boolean) throw EvalError("iif() criterion must be a boolean");
      const Items& in = n.args[0] ? focus : input;
      if (c != nullptr && c->boolean) return eval(*n.args[2], in);
      if (nargs >= 3) return eval(*n.args[3], in);
      return {};
    }
    case Fn::ToBoolean: return convert(to_boolean);
    case Fn::ConvertsToBoolean: return converts(to_boolean);
    case Fn::ToInteger: return convert(to_integer);
    case Fn::ConvertsToInteger: return converts(to_integer);
    case Fn::ToDecimal: return convert(to_decimal);
    case Fn::ConvertsToDecimal: return converts(to_decimal);
    case Fn::ToString: return convert(to_string_value);
    case Fn::ConvertsToString: return converts(to_string_value);
    case Fn::ToDate: return convert([](const Value& v) { return to_temporal(v, Kind::Date); });
    case Fn::ConvertsToDate: return converts([](const Value& v) { return to_temporal(v, Kind::Date); });
    case Fn::ToDateTime: return convert([](const Value& v) { return to_temporal(v, Kind::DateTime); });
    case Fn::ConvertsToDateTime: return converts([](const Value& v) { return to_temporal(v, Kind::DateTime); });
    case Fn::ToTime: return convert([](const Value& v) { return to_temporal(v, Kind::Time); });
    case Fn::ConvertsToTime: return converts([](const Value& v) { return to_temporal(v, Kind::Time); });
    case Fn::ToQuantity:
    case Fn::ConvertsToQuantity: {
      std::optional<std::string> unit;
      if (nargs == 1) unit = str_arg(0);
      auto f = [&](const Value& v) { return to_quantity(v, unit ? &*unit : nullptr); };
      return n.fn == Fn::ToQuantity ? convert(f) : converts(f);
    }
    case Fn::IndexOf: {
      const Value* v = singleton(focus, "indexOf");
      if (v == nullptr) return {};
      auto s = string_input(v, "indexOf");
      auto a = str_arg(0);
      if (!a) return {};
      size_t p = s.find(*a);
      return {Value::of_int(p == std::string_view::npos ? -1 : static_cast<int64_t>(p))};
    }
    case Fn::Substring: {
      const Value* v = singleton(focus, "substring");
      if (v == nullptr) return {};
      auto s = string_input(v, "substring");
      auto start = int_arg(0);
      if (!start) return {};
      if (*start < 0 || static_cast<size_t>(*start) >= s.size()) return {};
      size_t len = std::string_view::npos;
      if (nargs == 2) {
        auto l = int_arg(1);
        if (l) len = *l < 0 ? 0 : static_cast<size_t>(*l);
      }
      return {Value::of_string(std::string(s.substr(static_cast<size_t>(*start), len)))};
    }
    case Fn::StartsWith:
    case Fn::EndsWith:
    case Fn::ContainsStr: {
      const Value* v = singleton(focus, n.name.c_str());
      if (v == nullptr) return {};
      auto s = string_input(v, n.name.c_str());
      auto a = str_arg(0);
      if (!a) return {};
      if (n.fn == Fn::StartsWith) return b(s.substr(0, a->size()) == *a);
      if (n.fn == Fn::EndsWith) return b(s.size() >= a->size() && s.substr(s.size() - a->size()) == *a);
      return b(s.find(*a) != std::string_view::npos);
    }
    case Fn::Upper:
    case Fn::Lower: {
      const Value* v = singleton(focus, n.name.c_str());
      if (v == nullptr) return {};
      std::string s(string_input(v, n.name.c_str()));
      for (auto& c : s)
        c = static_cast<char>(n.fn == Fn::Upper ? std::toupper(static_cast<unsigned char>(c))
                                                : std::tolower(static_cast<unsigned char>(c)));
      return {Value::of_string(std::move(s))};
    }
    case Fn::Replace: {
      const Value* v = singleton(focus, "replace");
      if (v == nullptr) return {};
      std::string s(string_input(v, "replace"));
      auto pat = str_arg(0);
      auto rep = str_arg(1);
      if (!pat || !rep) return {};
      if (pat->empty()) {
        std::string out = *rep;
        for (char c : s) {
          out += c;
          out += *rep;
        }
        return {Value::of_string(std::move(out))};
      }
      std::string out;
      size_t pos = 0;
      for (;;) {
        size_t f = s.find(*pat, pos);
        if (f == std::string::npos) break;
        out.append(s, pos, f - pos);
        out += *rep;
        pos = f + pat->size();
      }
      out.append(s, pos, std::string::npos);
      return {Value::of_string(std::move(out))};
    }
    case Fn::Matches:
    case Fn::ReplaceMatches: {
      const Value* v = singleton(focus, n.name.c_str());
      if (v == nullptr) return {};
      std::string s(string_input(v, n.name.c_str()));
      auto pat = str_arg(0);
      if (!pat) return {};
      if (n.fn == Fn::ReplaceMatches && pat->empty()) return {Value::of_string(s)};
      // single-line mode: '.' matches newlines too
      std::string p2;
      bool in_class = false;
      for (size_t i = 0; i < pat->size(); ++i) {
        char c = (*pat)[i];
        if (c == '\\' && i + 1 < pat->size()) {
          p2 += c;
          p2 += (*pat)[++i];
          continue;
        }
        if (c == '[') in_class = true;
        else if (c == ']') in_class = false;
        if (c == '.' && !in_class) p2 += "[\\s\\S]";
        else p2 += c;
      }
      std::regex re(p2, std::regex::ECMAScript);
      if (n.fn == Fn::Matches) return b(n.name == "matchesFull" ? std::regex_match(s, re) : std::regex_search(s, re));
      auto rep = str_arg(1);
      if (!rep) return {};
      // FHIRPath uses $1 for groups, as ECMAScript does
      return {Value::of_string(std::regex_replace(s, re, *rep))};
    }
    case Fn::Length: {
      const Value* v = singleton(focus, "length");
      if (v == nullptr) return {};
      return {Value::of_int(static_cast<int64_t>(string_input(v, "length").size()))};
    }
    case Fn::ToChars: {
      const Value* v = singleton(focus, "toChars");
      if (v == nullptr) return {};
      Items out;
      for (char c : string_input(v, "toChars")) out.push_back(Value::of_string(std::string(1, c)));
      return out;
    }
    case Fn::Trim: {
      const Value* v = singleton(focus, "trim");
      if (v == nullptr) return {};
      std::string_view s = string_input(v, "trim");
      while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
      while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
      return {Value::of_string(std::string(s))};
    }
    case Fn::Split: {
      const Value* v = singleton(focus, "split");
      if (v == nullptr) return {};
      std::string s(string_input(v, "split"));
      auto sep = str_arg(0);
      if (!sep) return {};
      Items out;
      if (sep->empty()) {
        for (char c : s) out.push_back(Value::of_string(std::string(1, c)));
        return out;
      }
      size_t pos = 0;
      for (;;) {
        size_t f = s.find(*sep, pos);
        if (f == std::string::npos) {
          out.push_back(Value::of_string(s.substr(pos)));
          break;
        }
        out.push_back(Value::of_string(s.substr(pos, f - pos)));
        pos = f + sep->size();
      }
      return out;
    }
    case Fn::Join: {
      std::string sep;
      if (nargs == 1) {
        auto s = str_arg(0);
        if (s) sep = *s;
      }
      std::string out;
      for (size_t i = 0; i < focus.size(); ++i) {
        if (i) out += sep;
        out += string_input(&focus[i], "join");
      }
      return {Value::of_string(std::move(out))};
    }
    case Fn::Encode:
    case Fn::Decode:
    case Fn::Escape:
    case Fn::Unescape: {
      const Value* v = singleton(focus, n.name.c_str());
      if (v == nullptr) return {};
      std::string s(string_input(v, n.name.c_str()));
      auto fmt = str_arg(0);
      if (!fmt) return {};
      std::string out;
      static const char* b64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
      if (n.fn == Fn::Encode && (*fmt == "base64" || *fmt == "urlbase64")) {
        size_t i = 0;
        for (; i + 2 < s.size(); i += 3) {
          uint32_t x = (uint8_t(s[i]) << 16) | (uint8_t(s[i + 1]) << 8) | uint8_t(s[i + 2]);
          for (int k = 3; k >= 0; --k) out += b64[(x >> (6 * k)) & 63];
        }
        if (i + 1 == s.size()) {
          uint32_t x = uint8_t(s[i]) << 16;
          out += b64[(x >> 18) & 63];
          out += b64[(x >> 12) & 63];
          out += "==";
        } else if (i + 2 == s.size()) {
          uint32_t x = (uint8_t(s[i]) << 16) | (uint8_t(s[i + 1]) << 8);
          out += b64[(x >> 18) & 63];
          out += b64[(x >> 12) & 63];
          out += b64[(x >> 6) & 63];
          out += '=';
        }
        if (*fmt == "urlbase64")
          for (auto& c : out) c = c == '+' ? '-' : c == '/' ? '_' : c;
      } else if (n.fn == Fn::Decode && (*fmt == "base64" || *fmt == "urlbase64")) {
        uint32_t acc = 0;
        int bits = 0;
        for (char c : s) {
          int val;
          if (c >= 'A' && c <= 'Z') val = c - 'A';
          else if (c >= 'a' && c <= 'z') val = c - 'a' + 26;
          else if (c >= '0' && c <= '9') val = c - '0' + 52;
          else if (c == '+' || c == '-') val = 62;
          else if (c == '/' || c == '_') val = 63;
          else continue;
          acc = (acc << 6) | static_cast<uint32_t>(val);
          bits += 6;
          if (bits >= 8) {
            bits -= 8;
            out += static_cast<char>((acc >> bits) & 0xFF);
          }
        }
      } else if (n.fn == Fn::Encode && *fmt == "hex") {
        static const char* hx = "0123456789abcdef";
        for (unsigned char c : s) {
          out += hx[c >> 4];
          out += hx[c & 15];
        }
      } else if (n.fn == Fn::Decode && *fmt == "hex") {
        for (size_t i = 0; i + 1 < s.size(); i += 2) out += static_cast<char>(std::stoi(s.substr(i, 2), nullptr, 16));
      } else if (n.fn == Fn::Escape && *fmt == "html") {
        for (char c : s) {
          if (c == '<') out += "&lt;";
          else if (c == '>') out += "&gt;";
          else if (c == '&') out += "&amp;";
          else if (c == '"') out += "&quot;";
          else if (c == '\'') out += "&#39;";
          else out += c;
        }
      } else if (n.fn == Fn::Unescape && *fmt == "html") {
        static const std::pair<const char*, char> ents[] = {{"&lt;", '<'}, {"&gt;", '>'}, {"&amp;", '&'}, {"&quot;", '"'},
                                                            {"&#39;", '\''}, {"&apos;", '\''}};
        for (size_t i = 0; i < s.size();) {
          bool done = false;
          for (const auto& [e, c] : ents) {
            size_t l = std::strlen(e);
            if (s.compare(i, l, e) == 0) {
              out += c;
              i += l;
              done = true;
              break;
            }
          }
          if (!done) out += s[i++];
        }
      } else if (n.fn == Fn::Escape && *fmt == "json") {
        for (char c : s) {
          if (c == '"') out += "\\\"";
          else if (c == '\\') out += "\\\\";
          else if (c == '\n') out += "\\n";
          else if (c == '\t') out += "\\t";
          else if (c == '\r') out += "\\r";
          else out += c;
        }
      } else if (n.fn == Fn::Unescape && *fmt == "json") {
        for (size_t i = 0; i < s.size(); ++i) {
          if (s[i] == '\\' && i + 1 < s.size()) {
            char e = s[++i];
            out += e == 'n' ? '\n' : e == 't' ? '\t' : e == 'r' ? '\r' : e;
          } else {
            out += s[i];
          }
        }
      } else {
        return {};
      }
      return {Value::of_string(std::move(out))};
    }
    case Fn::Abs:
      return math([&](const Value& v) -> Items {
        Value r = plain(v);
        r.integer = std::llabs(v.integer);
        r.decimal = std::fabs(v.decimal);
        return {r};
      });
    case Fn::Ceiling:
      return math([&](const Value& v) -> Items { return {Value::of_int(static_cast<int64_t>(std::ceil(numv(v))))}; });
    case Fn::Floor:
      return math([&](const Value& v) -> Items { return {Value::of_int(static_cast<int64_t>(std::floor(numv(v))))}; });
    case Fn::Truncate:
      return math([&](const Value& v) -> Items { return {Value::of_int(static_cast<int64_t>(std::trunc(numv(v))))}; });
    case Fn::Exp: return math([&](const Value& v) -> Items { return {Value::of_decimal(std::exp(numv(v)), -1)}; });
    case Fn::Ln:
      return math([&](const Value& v) -> Items {
        if (numv(v) <= 0) return {};
        return {Value::of_decimal(std::log(numv(v)), -1)};
      });
    case Fn::Sqrt:
      return math([&](const Value& v) -> Items {
        if (numv(v) < 0) return {};
        return {Value::of_decimal(std::sqrt(numv(v)), -1)};
      });
    case Fn::Log: {
      return math([&](const Value& v) -> Items {
        auto base = single_arg(0, "log");
        if (!base) return {};
        double bv = numv(*base);
        if (bv <= 0 || bv == 1 || numv(v) <= 0) return {};
        return {Value::of_decimal(std::log(numv(v)) / std::log(bv), -1)};
      });
    }
    case Fn::Power: {
      return math([&](const Value& v) -> Items {
        auto e = single_arg(0, "power");
        if (!e) return {};
        if (v.kind == Kind::Integer && e->kind == Kind::Integer && e->integer >= 0) {
          int64_t r = 1;
          for (int64_t i = 0; i < e->integer; ++i) r *= v.integer;
          return {Value::of_int(r)};
        }
        double r = std::pow(numv(v), numv(*e));
        if (std::isnan(r)) return {};
        return {Value::of_decimal(r, -1)};
      });
    }
    case Fn::Round: {
      return math([&](const Value& v) -> Items {
        int64_t digits = 0;
        if (nargs == 1) {
          auto d = int_arg(0);
          if (d) digits = *d;
          if (digits < 0) throw EvalError("round() precision must be >= 0");
        }
        double p = std::pow(10.0, static_cast<double>(digits));
        double x = numv(v);
        double r = std::round(x * p) / p;
        return {Value::of_decimal(r, static_cast<int>(digits))};
      });
    }
    case Fn::Children: {
      Items out;
      for (const auto& v : focus) all_children(v, out);
      return out;
    }
    case Fn::Descendants: {
      Items out;
      Items current = focus;
      while (!current.empty()) {
        Items next;
        for (const auto& v : current) all_children(v, next);
        for (const auto& v : next) out.push_back(v);
        current = std::move(next);
      }
      return out;
    }
    case Fn::Trace: {
      if (ctx_.trace) {
        auto name = str_arg(0);
        if (nargs == 2) ctx_.trace(name ? *name : "", lambda_map(*n.args[2], focus, true));
        else ctx_.trace(name ? *name : "", focus);
      }
      return focus;
    }
    case Fn::Now: {
      Value v;
      v.kind = Kind::DateTime;
      v.temporal = now();
      return {v};
    }
    case Fn::Today: {
      Value v;
      v.kind = Kind::Date;
      v.temporal = now();
      v.temporal.precision = Precision::Day;
      v.temporal.has_tz = false;
      return {v};
    }
    case Fn::TimeOfDay: {
      Value v;
      v.kind = Kind::Time;
      v.temporal = now();
      v.temporal.has_tz = false;
      return {v};
    }
    case Fn::Aggregate: {
      Items total = nargs == 2 ? arg(1) : Items{};
      Scope scope(this_, index_);
      const Items* saved_total = total_;
      for (size_t i = 0; i < focus.size(); ++i) {
        this_ = &focus[i];
        index_ = static_cast<int64_t>(i);
        total_ = &total;
        Items one{focus[i]};
        Items next = eval(*n.args[1], one);
        total = std::move(next);
      }
      total_ = saved_total;
      return total;
    }
    case Fn::Sort: {
      struct Keyed {
        size_t i;
        std::vector<Items> keys;
      };
      std::vector<Keyed> rows;
      std::vector<bool> desc;
      std::vector<const Node*> bodies;
      for (size_t a = 1; a < n.args.size(); ++a) {
        const Node* body = n.args[a].get();
        bool d = false;
        if (body->op == Op::Neg) {
          d = true;
          body = body->args[0].get();
        }
        desc.push_back(d);
        bodies.push_back(body);
      }
      {
        Scope scope(this_, index_);
        for (size_t i = 0; i < focus.size(); ++i) {
          Keyed k{i, {}};
          this_ = &focus[i];
          index_ = static_cast<int64_t>(i);
          Items one{focus[i]};
          if (bodies.empty()) k.keys.push_back(one);
          for (const Node* body : bodies) k.keys.push_back(eval(*body, one));
          rows.push_back(std::move(k));
        }
      }
      if (desc.empty()) desc.push_back(false);
      std::stable_sort(rows.begin(), rows.end(), [&](const Keyed& x, const Keyed& y) {
        for (size_t k = 0; k < x.keys.size(); ++k) {
          const Items& a = x.keys[k];
          const Items& c = y.keys[k];
          if (a.empty() || c.empty()) {
            if (a.empty() != c.empty()) return a.empty();  // empty keys first
            continue;
          }
          auto r = compare(a[0], c[0]);
          if (!r || *r == 0) continue;
          return desc[k] ? *r > 0 : *r < 0;
        }
        return false;
      });
      Items out;
      for (const auto& r : rows) out.push_back(focus[r.i]);
      return out;
    }
    case Fn::Not: {
      auto v = boolean(focus, "not");
      if (!v) return {};
      return b(!*v);
    }
    case Fn::Is: {
      if (focus.empty()) return {};
      if (focus.size() > 1) throw EvalError("is() expects a single item");
      return b(is_type(focus[0], n.type));
    }
    case Fn::As: {
      if (focus.empty()) return {};
      if (focus.size() > 1 && !ctx_.lenient_as) throw EvalError("as() expects a single item");
      Items out;
      for (const auto& v : focus)
        if (is_type(v, n.type)) out.push_back(v);
      return out;
    }
    case Fn::Type: {
      Items out;
      for (const auto& v : focus) {
        Value t;
        t.kind = Kind::TypeInfo;
        t.text = v.fhir_type.empty() ? "System" : "FHIR";
        t.unit = std::string(type_name(v));
        out.push_back(std::move(t));
      }
      return out;
    }
    case Fn::Extension: {
      auto url = str_arg(0);
      if (!url) return {};
      Items exts;
      for (const auto& v : focus) children(v, "extension", exts);
      Items out;
      for (auto& e : exts) {
        if (e.node == nullptr || !e.node->IsObject()) continue;
        auto u = e.node->FindMember("url");
        if (u != e.node->MemberEnd() && u->value.IsString() && url->compare(u->value.GetString()) == 0)
          out.push_back(std::move(e));
      }
      return out;
    }
    case Fn::HasValue: {
      if (focus.size() != 1) return b(false);
      const Value& v = focus[0];
      return b(v.kind != Kind::Object && v.kind != Kind::TypeInfo && v.has_value);
    }
    case Fn::GetValue: {
      if (focus.size() != 1) return {};
      const Value& v = focus[0];
      if (v.kind == Kind::Object || v.kind == Kind::TypeInfo || !v.has_value) return {};
      return {plain(v)};
    }
    case Fn::Resolve: {
      Items out;
      for (const auto& v : focus) {
        Items r = resolve(v);
        for (auto& x : r) out.push_back(std::move(x));
      }
      return out;
    }
    case Fn::MemberOf: {
      // Terminology comes from the caller; without it the answer is unknown (empty).
      auto url = str_arg(0);
      if (!ctx_.member_of || !url) return {};
      const Value* v = singleton(focus, "memberOf");
      if (v == nullptr) return {};
      std::optional<bool> in = ctx_.member_of(*v, *url);
      if (!in) return {};
      return b(*in);
    }
    case Fn::ConformsTo: {
      auto url = str_arg(0);
      const Value* v = singleton(focus, "conformsTo");
      if (v == nullptr || !url) return {};
      const std::string prefix = "http://hl7.org/fhir/StructureDefinition/";
      if (url->compare(0, prefix.size(), prefix) != 0) throw EvalError("unknown profile " + *url);
      std::string type = url->substr(prefix.size());
      if (defs_ != nullptr && !defs_->is_resource_type(type) && defs_->type(type) == nullptr)
        throw EvalError("unknown profile " + *url);
      return b(is_type(*v, TypeSpec{"FHIR", type}));
    }
    case Fn::HtmlChecks: {
      const Value* v = singleton(focus, "htmlChecks");
      if (v == nullptr) return {};
      if (v->kind != Kind::String) return b(false);
      return b(html_checks(v->str(), nullptr));
    }
    case Fn::ElementDefinition:
    case Fn::Slice: return {};
    case Fn::CheckModifiers: return focus;
    case Fn::Subsumes:
    case Fn::SubsumedBy: return {};
    case Fn::Precision: {
      const Value* v = singleton(focus, "precision");
      if (v == nullptr) return {};
      if (v->kind == Kind::Decimal) return {Value::of_int(v->scale < 0 ? decimal_scale(v->decimal) : v->scale)};
      if (v->kind == Kind::Integer) return {Value::of_int(0)};
      static const int date_digits[] = {0, 4, 6, 8, 10, 12, 14, 17};
      static const int time_digits[] = {0, 0, 0, 0, 2, 4, 6, 9};
      int p = static_cast<int>(v->temporal.precision);
      if (v->kind == Kind::Date || v->kind == Kind::DateTime) return {Value::of_int(date_digits[p])};
      if (v->kind == Kind::Time) return {Value::of_int(time_digits[p])};
      return {};
    }
    case Fn::Comparable: {
      const Value* v = singleton(focus, "comparable");
      auto o = single_arg(0, "comparable");
      Value qa, qb;
      if (v == nullptr || !o || !as_quantity(*v, qa) || !as_quantity(*o, qb)) return {};
      if (qa.unit == qb.unit) return b(true);
      std::string ca, cb;
      double fa, fb;
      return b(ucum_canonical(qa.unit, ca, fa) && ucum_canonical(qb.unit, cb, fb) && ca == cb);
    }
    case Fn::LowBoundary:
    case Fn::HighBoundary: {
      const Value* v = singleton(focus, n.name.c_str());
      if (v == nullptr) return {};
      bool low = n.fn == Fn::LowBoundary;
      std::optional<int64_t> prec;
      if (nargs == 1) prec = int_arg(0);
      if (v->kind == Kind::Integer || v->kind == Kind::Decimal || v->kind == Kind::Quantity) {
        int64_t p = prec.value_or(8);
        if (p < 0 || p > 28) return {};
        double x = v->kind == Kind::Integer ? static_cast<double>(v->integer) : v->decimal;
        int s = v->kind == Kind::Integer ? 0 : (v->scale < 0 ? decimal_scale(x) : v->scale);
        double half = 0.5 * std::pow(10.0, -s);
        double bound = low ? x - half : x + half;
        double scale = std::pow(10.0, static_cast<double>(p));
        if (p < s + 1) {
          double r = low ? std::floor(bound * scale + 1e-9) : std::ceil(bound * scale - 1e-9);
          if (std::fabs(x) < 1.0 / scale) r = (low && x < 0) ? -0.0 : 0.0;  // all digits below the precision
          bound = r / scale;
        }
        Value r = v->kind == Kind::Quantity ? *v : Value::of_decimal(bound, static_cast<int>(p));
        r.node = nullptr;
        r.fhir_type = {};
        r.decimal = bound;
        r.scale = static_cast<int8_t>(p);
        return {r};
      }
      if (v->kind != Kind::Date && v->kind != Kind::DateTime && v->kind != Kind::Time) return {};
      Value r;
      r.kind = v->kind;
      Temporal t = v->temporal;
      Precision target;
      int64_t p = prec.value_or(v->kind == Kind::Date ? 8 : v->kind == Kind::Time ? 9 : 17);
      if (v->kind == Kind::Time) {
        if (p == 2) target = Precision::Hour;
        else if (p == 4) target = Precision::Minute;
        else if (p == 6) target = Precision::Second;
        else if (p == 9) target = Precision::Millisecond;
        else return {};
      } else {
        if (p == 4) target = Precision::Year;
        else if (p == 6) target = Precision::Month;
        else if (p == 8) target = Precision::Day;
        else if (v->kind == Kind::DateTime && p == 10) target = Precision::Hour;
        else if (v->kind == Kind::DateTime && p == 12) target = Precision::Minute;
        else if (v->kind == Kind::DateTime && p == 14) target = Precision::Second;
        else if (v->kind == Kind::DateTime && p == 17) target = Precision::Millisecond;
        else return {};
      }
      static const int dim[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
      if (t.precision < Precision::Month) t.month = low ? 1 : 12;
      if (t.precision < Precision::Day) {
        bool leap = (t.year % 4 == 0 && t.year % 100 != 0) || t.year % 400 == 0;
        t.day = low ? 1 : static_cast<uint8_t>(t.month == 2 && leap ? 29 : dim[t.month - 1]);
      }
      if (t.precision < Precision::Hour) t.hour = low ? 0 : 23;
      if (t.precision < Precision::Minute) t.minute = low ? 0 : 59;
      if (t.precision < Precision::Second) t.second = low ? 0 : 59;
      if (t.precision < Precision::Millisecond) t.millis = low ? 0 : 999;
      if (v->kind == Kind::DateTime && target >= Precision::Hour && !t.has_tz) {
        t.has_tz = true;
        t.tz_minutes = low ? 14 * 60 : -12 * 60;
      }
      if (target < Precision::Hour) t.has_tz = false;
      t.precision = target;
      r.temporal = t;
      return {r};
    }
    case Fn::Unknown: break;
  }
  throw EvalError(n.name + "() is not supported");
}

}  // namespace healthd::fhirpath
