// The built-in functions of the JMESPath specification ("Built-in Functions").
#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <limits>

#include "medtech/jmespath_eval.h"
#include "medtech/json_compare.h"
#include "common/utf8.h"

namespace healthd::medtech::jmespath::detail {

namespace {

using Args = const Val*;

// Integral doubles become integers (ceil, floor), as the reference implementation returns them.
Val number(Evaluator& ev, double d) {
  if (std::floor(d) == d && std::fabs(d) < 9.0e15) return Val::of(ev.arena().integer(static_cast<int64_t>(d)));
  return Val::of(ev.arena().real(d));
}

Val new_string(Evaluator& ev, std::string_view s) { return Val::of(ev.arena().string(s)); }

bool all_of_type(const Val& array, Type t) {
  for (size_t i = 0; i < array.size(); ++i)
    if (array.at(i).type() != t) return false;
  return true;
}

void expect_number_array(const Node& call, Args args, size_t i) {
  if (args[i].type() != Type::Array || !all_of_type(args[i], Type::Number))
    type_error(call, i, "an array of numbers", args[i]);
}

// array[number] or array[string]; returns the element type (Null for an empty array).
Type expect_sortable_array(const Node& call, Args args, size_t i) {
  const Val& a = args[i];
  if (a.type() != Type::Array) type_error(call, i, "an array of numbers or of strings", a);
  if (a.size() == 0) return Type::Null;
  Type t = a.at(0).type();
  if ((t != Type::Number && t != Type::String) || !all_of_type(a, t))
    type_error(call, i, "an array of numbers or of strings", a);
  return t;
}

// Order of two numbers or two strings (code point order).
int order(const Val& a, const Val& b) {
  if (a.type() == Type::Number) return compare_numbers(a.json(), b.json());
  return a.str().compare(b.str());
}

Val expref_of(const Node& call, Args args, size_t i) {
  if (args[i].type() != Type::ExpRef) type_error(call, i, "an expression (&expr)", args[i]);
  return args[i];
}

// Keys of sort_by / min_by / max_by: all numbers or all strings.
std::vector<Val> keys_by(Evaluator& ev, const Node& call, const Val& array, const Val& expref) {
  std::vector<Val> keys;
  keys.reserve(array.size());
  Type t = Type::Null;
  for (size_t i = 0; i < array.size(); ++i) {
    Val k = ev.eval(expref.node(), array.at(i));
    Type kt = k.type();
    if ((kt != Type::Number && kt != Type::String) || (i > 0 && kt != t))
      Evaluator::fail(ErrorKind::InvalidType, call,
                      call.name + "() expression must give all numbers or all strings, got " + type_name(kt));
    t = kt;
    keys.push_back(k);
  }
  return keys;
}

Val f_abs(Evaluator& ev, const Node& call, Args args, size_t) {
  expect_type(call, args, 0, Type::Number);
  const json::Value& v = args[0].json();
  if (v.IsInt64() && v.GetInt64() < 0 && v.GetInt64() != std::numeric_limits<int64_t>::min())
    return Val::of(ev.arena().integer(-v.GetInt64()));
  if (v.IsDouble() && v.GetDouble() < 0) return Val::of(ev.arena().real(-v.GetDouble()));
  if (v.IsInt64() && v.GetInt64() < 0) return Val::of(ev.arena().real(-v.GetDouble()));
  return args[0];
}

Val f_avg(Evaluator& ev, const Node& call, Args args, size_t) {
  expect_number_array(call, args, 0);
  const Val& a = args[0];
  if (a.size() == 0) return Val();
  double sum = 0;
  for (size_t i = 0; i < a.size(); ++i) sum += a.at(i).number();
  return Val::of(ev.arena().real(sum / static_cast<double>(a.size())));
}

Val f_ceil(Evaluator& ev, const Node& call, Args args, size_t) {
  expect_type(call, args, 0, Type::Number);
  if (!args[0].json().IsDouble()) return args[0];
  return number(ev, std::ceil(args[0].number()));
}

Val f_floor(Evaluator& ev, const Node& call, Args args, size_t) {
  expect_type(call, args, 0, Type::Number);
  if (!args[0].json().IsDouble()) return args[0];
  return number(ev, std::floor(args[0].number()));
}

Val f_contains(Evaluator&, const Node& call, Args args, size_t) {
  const Val& subject = args[0];
  if (subject.type() == Type::String) {
    bool found = args[1].type() == Type::String && subject.str().find(args[1].str()) != std::string_view::npos;
    return Val::of(Arena::boolean(found));
  }
  if (subject.type() != Type::Array) type_error(call, 0, "an array or a string", subject);
  for (size_t i = 0; i < subject.size(); ++i)
    if (equal(subject.at(i), args[1])) return Val::of(Arena::boolean(true));
  return Val::of(Arena::boolean(false));
}

Val f_ends_with(Evaluator&, const Node& call, Args args, size_t) {
  expect_type(call, args, 0, Type::String);
  expect_type(call, args, 1, Type::String);
  std::string_view s = args[0].str(), suffix = args[1].str();
  return Val::of(Arena::boolean(s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix));
}

Val f_starts_with(Evaluator&, const Node& call, Args args, size_t) {
  expect_type(call, args, 0, Type::String);
  expect_type(call, args, 1, Type::String);
  return Val::of(Arena::boolean(args[0].str().substr(0, args[1].str().size()) == args[1].str()));
}

Val f_join(Evaluator& ev, const Node& call, Args args, size_t) {
  expect_type(call, args, 0, Type::String);
  const Val& a = args[1];
  if (a.type() != Type::Array || !all_of_type(a, Type::String)) type_error(call, 1, "an array of strings", a);
  std::string out;
  for (size_t i = 0; i < a.size(); ++i) {
    if (i > 0) out += args[0].str();
    out += a.at(i).str();
  }
  return new_string(ev, out);
}

Val f_keys(Evaluator& ev, const Node& call, Args args, size_t) {
  expect_type(call, args, 0, Type::Object);
  List* out = ev.arena().list(args[0].size());
  // Keys point at the member names (in the input or the expression): no copies.
  for_each_member(args[0], [&](std::string_view key, const Val&) { out->push_back(Val::of(ev.arena().reference(key))); });
  return Val::of(out);
}

Val f_values(Evaluator& ev, const Node& call, Args args, size_t) {
  expect_type(call, args, 0, Type::Object);
  List* out = ev.arena().list(args[0].size());
  for_each_member(args[0], [&](std::string_view, const Val& v) { out->push_back(v); });
  return Val::of(out);
}

Val f_length(Evaluator& ev, const Node& call, Args args, size_t) {
  const Val& v = args[0];
  switch (v.type()) {
    case Type::String:
      return Val::of(ev.arena().integer(static_cast<int64_t>(utf8::length(v.str()))));
    case Type::Array:
    case Type::Object:
      return Val::of(ev.arena().integer(static_cast<int64_t>(v.size())));
    default:
      type_error(call, 0, "a string, an array or an object", v);
  }
}

Val f_map(Evaluator& ev, const Node& call, Args args, size_t) {
  Val fn = expref_of(call, args, 0);
  expect_type(call, args, 1, Type::Array);
  List* out = ev.arena().list(args[1].size());
  for (size_t i = 0; i < args[1].size(); ++i) out->push_back(ev.eval(fn.node(), args[1].at(i)));
  return Val::of(out);
}

Val extreme(const Node& call, Args args, bool want_max) {
  if (expect_sortable_array(call, args, 0) == Type::Null) return Val();
  const Val& a = args[0];
  Val best = a.at(0);
  for (size_t i = 1; i < a.size(); ++i) {
    int c = order(a.at(i), best);
    if (want_max ? c > 0 : c < 0) best = a.at(i);
  }
  return best;
}
Val f_max(Evaluator&, const Node& call, Args args, size_t) { return extreme(call, args, true); }
Val f_min(Evaluator&, const Node& call, Args args, size_t) { return extreme(call, args, false); }

Val extreme_by(Evaluator& ev, const Node& call, Args args, bool want_max) {
  expect_type(call, args, 0, Type::Array);
  Val fn = expref_of(call, args, 1);
  const Val& a = args[0];
  if (a.size() == 0) return Val();
  std::vector<Val> keys = keys_by(ev, call, a, fn);
  size_t best = 0;
  for (size_t i = 1; i < a.size(); ++i) {
    int c = order(keys[i], keys[best]);
    if (want_max ? c > 0 : c < 0) best = i;
  }
  return a.at(best);
}
Val f_max_by(Evaluator& ev, const Node& call, Args args, size_t) { return extreme_by(ev, call, args, true); }
Val f_min_by(Evaluator& ev, const Node& call, Args args, size_t) { return extreme_by(ev, call, args, false); }

Val f_merge(Evaluator& ev, const Node& call, Args args, size_t count) {
  for (size_t i = 0; i < count; ++i) expect_type(call, args, i, Type::Object);
  if (count == 1) return args[0];
  Hash* out = ev.arena().hash();
  for (size_t i = 0; i < count; ++i) {
    for_each_member(args[i], [&](std::string_view key, const Val& v) {
      auto same = std::find_if(out->begin(), out->end(), [&](const Member& m) { return m.key == key; });
      if (same != out->end()) {
        same->value = v;
      } else {
        out->push_back(Member{key, v});
      }
    });
  }
  return Val::of(out);
}

Val f_not_null(Evaluator&, const Node&, Args args, size_t count) {
  for (size_t i = 0; i < count; ++i)
    if (!args[i].is_null()) return args[i];
  return Val();
}

Val f_reverse(Evaluator& ev, const Node& call, Args args, size_t) {
  const Val& v = args[0];
  if (v.type() == Type::String) {
    std::string_view s = v.str();
    std::vector<char32_t> cps;
    for (size_t i = 0; i < s.size();) cps.push_back(utf8::decode(s, i));
    std::string out;
    out.reserve(s.size());
    for (auto it = cps.rbegin(); it != cps.rend(); ++it) utf8::append(out, *it);
    return new_string(ev, out);
  }
  if (v.type() != Type::Array) type_error(call, 0, "an array or a string", v);
  List* out = ev.arena().list(v.size());
  for (size_t i = v.size(); i-- > 0;) out->push_back(v.at(i));
  return Val::of(out);
}

Val f_sort(Evaluator& ev, const Node& call, Args args, size_t) {
  expect_sortable_array(call, args, 0);
  List* out = ev.arena().list(args[0].size());
  for (size_t i = 0; i < args[0].size(); ++i) out->push_back(args[0].at(i));
  std::stable_sort(out->begin(), out->end(), [](const Val& a, const Val& b) { return order(a, b) < 0; });
  return Val::of(out);
}

Val f_sort_by(Evaluator& ev, const Node& call, Args args, size_t) {
  expect_type(call, args, 0, Type::Array);
  Val fn = expref_of(call, args, 1);
  const Val& a = args[0];
  std::vector<Val> keys = keys_by(ev, call, a, fn);
  std::vector<size_t> idx(a.size());
  for (size_t i = 0; i < idx.size(); ++i) idx[i] = i;
  std::stable_sort(idx.begin(), idx.end(), [&](size_t x, size_t y) { return order(keys[x], keys[y]) < 0; });
  List* out = ev.arena().list(a.size());
  for (size_t i : idx) out->push_back(a.at(i));
  return Val::of(out);
}

Val f_sum(Evaluator& ev, const Node& call, Args args, size_t) {
  expect_number_array(call, args, 0);
  const Val& a = args[0];
  int64_t isum = 0;
  bool integral = true;
  double dsum = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    const json::Value& v = a.at(i).json();
    dsum += v.GetDouble();
    if (integral && v.IsInt64()) {
      integral = !__builtin_add_overflow(isum, v.GetInt64(), &isum);
    } else {
      integral = false;
    }
  }
  return Val::of(integral ? ev.arena().integer(isum) : ev.arena().real(dsum));
}

Val f_to_array(Evaluator& ev, const Node&, Args args, size_t) {
  if (args[0].type() == Type::Array) return args[0];
  List* out = ev.arena().list(1);
  out->push_back(args[0]);
  return Val::of(out);
}

Val f_to_string(Evaluator& ev, const Node&, Args args, size_t) {
  if (args[0].type() == Type::String) return args[0];
  const json::Value* v = ev.arena().materialize(args[0]);
  return new_string(ev, json::to_string(*v));
}

// Numbers as the reference implementation reads them: an integer, else a decimal; otherwise null.
Val f_to_number(Evaluator& ev, const Node&, Args args, size_t) {
  const Val& v = args[0];
  if (v.type() == Type::Number) return v;
  if (v.type() != Type::String) return Val();
  std::string s(v.str());
  size_t b = s.find_first_not_of(" \t\n\r\f\v"), e = s.find_last_not_of(" \t\n\r\f\v");
  if (b == std::string::npos) return Val();
  s = s.substr(b, e - b + 1);
  size_t digits_from = (s[0] == '+' || s[0] == '-') ? 1 : 0;
  bool integral = s.size() > digits_from && s.find_first_not_of("0123456789", digits_from) == std::string::npos;
  if (integral) {
    errno = 0;
    long long i = std::strtoll(s.c_str(), nullptr, 10);
    if (errno == 0) return Val::of(ev.arena().integer(i));
  }
  if (s.find_first_not_of("0123456789+-.eE") != std::string::npos) return Val();  // no inf, nan, hex
  char* end = nullptr;
  double d = std::strtod(s.c_str(), &end);
  if (end != s.c_str() + s.size() || !std::isfinite(d)) return Val();
  return Val::of(ev.arena().real(d));
}

Val f_type(Evaluator&, const Node&, Args args, size_t) {
  static const json::Value kNames[] = {
      json::Value(rapidjson::StringRef("null")),   json::Value(rapidjson::StringRef("boolean")),
      json::Value(rapidjson::StringRef("number")), json::Value(rapidjson::StringRef("string")),
      json::Value(rapidjson::StringRef("array")),  json::Value(rapidjson::StringRef("object")),
      json::Value(rapidjson::StringRef("expref"))};
  return Val::of(&kNames[static_cast<int>(args[0].type())]);
}

constexpr FunctionDef kFunctions[] = {
    {"abs", 1, 1, f_abs},
    {"avg", 1, 1, f_avg},
    {"ceil", 1, 1, f_ceil},
    {"contains", 2, 2, f_contains},
    {"ends_with", 2, 2, f_ends_with},
    {"floor", 1, 1, f_floor},
    {"join", 2, 2, f_join},
    {"keys", 1, 1, f_keys},
    {"length", 1, 1, f_length},
    {"map", 2, 2, f_map},
    {"max", 1, 1, f_max},
    {"max_by", 2, 2, f_max_by},
    {"merge", 1, -1, f_merge},
    {"min", 1, 1, f_min},
    {"min_by", 2, 2, f_min_by},
    {"not_null", 1, -1, f_not_null},
    {"reverse", 1, 1, f_reverse},
    {"sort", 1, 1, f_sort},
    {"sort_by", 2, 2, f_sort_by},
    {"starts_with", 2, 2, f_starts_with},
    {"sum", 1, 1, f_sum},
    {"to_array", 1, 1, f_to_array},
    {"to_number", 1, 1, f_to_number},
    {"to_string", 1, 1, f_to_string},
    {"type", 1, 1, f_type},
    {"values", 1, 1, f_values},
};

}  // namespace

const FunctionDef* find_spec_function(std::string_view name) {
  for (const FunctionDef& f : kFunctions)
    if (f.name == name) return &f;
  return nullptr;
}

}  // namespace healthd::medtech::jmespath::detail
