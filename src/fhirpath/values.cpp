// Value semantics: equality, equivalence, ordering, quantities and units, string forms.
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstring>

#include "fhirpath/internal.h"

namespace healthd::fhirpath {
namespace {

bool numeric(const Value& v) { return v.kind == Kind::Integer || v.kind == Kind::Decimal; }
double num(const Value& v) { return v.kind == Kind::Integer ? static_cast<double>(v.integer) : v.decimal; }
bool temporal_kind(Kind k) { return k == Kind::Date || k == Kind::DateTime || k == Kind::Time; }

std::string normalize_ws_lower(std::string_view s) {
  std::string out;
  bool space = false;
  for (char c : s) {
    if (std::isspace(static_cast<unsigned char>(c))) {
      space = true;
      continue;
    }
    if (space && !out.empty()) out += ' ';
    space = false;
    out += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  return out;
}

struct UnitRow {
  const char* unit;
  const char* canon;
  double factor;
};

const UnitRow kUnits[] = {
    {"g", "g", 1},          {"mg", "g", 1e-3},      {"ug", "g", 1e-6},       {"ng", "g", 1e-9},
    {"kg", "g", 1e3},       {"m", "m", 1},          {"cm", "m", 1e-2},       {"mm", "m", 1e-3},
    {"um", "m", 1e-6},      {"km", "m", 1e3},       {"[in_i]", "m", 0.0254}, {"[ft_i]", "m", 0.3048},
    {"s", "s", 1},          {"ms", "s", 1e-3},      {"min", "s", 60},        {"h", "s", 3600},
    {"d", "s", 86400},      {"wk", "s", 604800},    {"second", "s", 1},      {"seconds", "s", 1},
    {"millisecond", "s", 1e-3}, {"milliseconds", "s", 1e-3}, {"minute", "s", 60}, {"minutes", "s", 60},
    {"hour", "s", 3600},    {"hours", "s", 3600},   {"day", "s", 86400},     {"days", "s", 86400},
    {"week", "s", 604800},  {"weeks", "s", 604800}, {"a", "a", 1},           {"mo", "mo", 1},
    {"year", "year", 1},    {"years", "year", 1},   {"month", "month", 1},   {"months", "month", 1},
    {"L", "L", 1},          {"mL", "L", 1e-3},      {"dL", "L", 0.1},        {"ul", "L", 1e-6},
    {"uL", "L", 1e-6},      {"l", "L", 1},          {"ml", "L", 1e-3},       {"1", "1", 1},
    {"%", "1", 0.01},       {"[lb_av]", "g", 453.59237}, {"[oz_av]", "g", 28.349523125},
    {"mg/dL", "g/L", 1e-2}, {"g/dL", "g/L", 10},    {"g/L", "g/L", 1},       {"mg/L", "g/L", 1e-3},
    {"cm2", "m2", 1e-4},    {"m2", "m2", 1},        {"mm[Hg]", "mm[Hg]", 1},
};

}  // namespace

bool is_string_like(const Value& v) { return v.kind == Kind::String; }

bool ucum_canonical(std::string_view unit, std::string& canon, double& factor) {
  for (const auto& r : kUnits) {
    if (unit == r.unit) {
      canon = r.canon;
      factor = r.factor;
      return true;
    }
  }
  return false;
}

int decimal_scale(double d) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.15g", d);
  const char* e = std::strchr(buf, 'e');
  if (e != nullptr) {
    int exp = std::atoi(e + 1);
    const char* dot = std::strchr(buf, '.');
    int frac = dot != nullptr ? static_cast<int>(e - dot - 1) : 0;
    return std::max(0, frac - exp);
  }
  const char* dot = std::strchr(buf, '.');
  return dot == nullptr ? 0 : static_cast<int>(std::strlen(dot + 1));
}

std::string format_decimal(double d, int scale) {
  if (scale < 0) scale = decimal_scale(d);
  if (scale > 17) scale = 17;
  char buf[128];
  std::snprintf(buf, sizeof buf, "%.*f", scale, d);
  std::string s = buf;
  if (s == "-0") s = "0";
  return s;
}

bool as_quantity(const Value& v, Value& out) {
  if (v.kind == Kind::Quantity) {
    out = v;
    return true;
  }
  if (v.kind != Kind::Object || v.node == nullptr || !v.node->IsObject()) return false;
  auto it = v.node->FindMember("value");
  if (it == v.node->MemberEnd() || !it->value.IsNumber()) return false;
  out = Value{};
  out.kind = Kind::Quantity;
  out.decimal = it->value.GetDouble();
  out.scale = static_cast<int8_t>(decimal_scale(out.decimal));
  auto code = v.node->FindMember("code");
  auto unit = v.node->FindMember("unit");
  if (code != v.node->MemberEnd() && code->value.IsString()) out.unit = code->value.GetString();
  else if (unit != v.node->MemberEnd() && unit->value.IsString()) out.unit = unit->value.GetString();
  else out.unit = "1";
  return true;
}

namespace {

// Both quantities in a common unit: false when incomparable.
bool common_units(const Value& a, const Value& b, double& x, double& y) {
  if (a.unit == b.unit) {
    x = a.decimal;
    y = b.decimal;
    return true;
  }
  std::string ca, cb;
  double fa, fb;
  if (!ucum_canonical(a.unit, ca, fa) || !ucum_canonical(b.unit, cb, fb) || ca != cb) return false;
  x = a.decimal * fa;
  y = b.decimal * fb;
  return true;
}

bool close(double x, double y) {
  double m = std::max({1.0, std::fabs(x), std::fabs(y)});
  return std::fabs(x - y) <= 1e-12 * m;
}

}  // namespace

std::optional<bool> equals(const Value& a, const Value& b) {
  if (numeric(a) && numeric(b)) {
    if (a.kind == Kind::Integer && b.kind == Kind::Integer) return a.integer == b.integer;
    return close(num(a), num(b));
  }
  if (a.kind == Kind::String && b.kind == Kind::String) return a.str() == b.str();
  if (a.kind == Kind::Boolean && b.kind == Kind::Boolean) return a.boolean == b.boolean;
  if (temporal_kind(a.kind) && temporal_kind(b.kind)) {
    if ((a.kind == Kind::Time) != (b.kind == Kind::Time)) return false;
    auto c = compare_temporal(a.temporal, a.kind, b.temporal, b.kind);
    if (!c) return std::nullopt;
    return *c == 0;
  }
  Value qa, qb;
  if ((a.kind == Kind::Quantity || b.kind == Kind::Quantity) && as_quantity(a, qa) && as_quantity(b, qb)) {
    double x, y;
    if (!common_units(qa, qb, x, y)) return std::nullopt;
    return close(x, y);
  }
  if (a.kind == Kind::Object && b.kind == Kind::Object) {
    if (a.node == b.node) return true;
    if (a.node == nullptr || b.node == nullptr) return false;
    return *a.node == *b.node;
  }
  if (a.kind == Kind::TypeInfo && b.kind == Kind::TypeInfo) return a.text == b.text && a.unit == b.unit;
  return false;
}

bool equivalent(const Value& a, const Value& b) {
  if (numeric(a) && numeric(b)) {
    if (a.kind == Kind::Integer && b.kind == Kind::Integer) return a.integer == b.integer;
    int sa = a.kind == Kind::Integer ? 0 : (a.scale < 0 ? decimal_scale(a.decimal) : a.scale);
    int sb = b.kind == Kind::Integer ? 0 : (b.scale < 0 ? decimal_scale(b.decimal) : b.scale);
    int s = std::min(sa, sb);
    double p = std::pow(10.0, s);
    return std::llround(num(a) * p) == std::llround(num(b) * p);
  }
  if (a.kind == Kind::String && b.kind == Kind::String) return normalize_ws_lower(a.str()) == normalize_ws_lower(b.str());
  if (temporal_kind(a.kind) && temporal_kind(b.kind)) {
    auto c = compare_temporal(a.temporal, a.kind, b.temporal, b.kind);
    return c && *c == 0;
  }
  Value qa, qb;
  if ((a.kind == Kind::Quantity || b.kind == Kind::Quantity) && as_quantity(a, qa) && as_quantity(b, qb)) {
    double x, y;
    auto cal = [](const std::string& u) -> std::string {
      if (u == "year" || u == "years") return "a";
      if (u == "month" || u == "months") return "mo";
      return u;
    };
    qa.unit = cal(qa.unit);
    qb.unit = cal(qb.unit);
    if (!common_units(qa, qb, x, y)) return false;
    int s = std::min(qa.scale < 0 ? decimal_scale(qa.decimal) : qa.scale, qb.scale < 0 ? decimal_scale(qb.decimal) : qb.scale);
    double p = std::pow(10.0, s);
    return std::llround(x * p) == std::llround(y * p);
  }
  auto e = equals(a, b);
  return e && *e;
}

std::optional<int> compare(const Value& a, const Value& b) {
  if (numeric(a) && numeric(b)) {
    if (a.kind == Kind::Integer && b.kind == Kind::Integer) return a.integer < b.integer ? -1 : a.integer > b.integer;
    double x = num(a), y = num(b);
    if (close(x, y)) return 0;
    return x < y ? -1 : 1;
  }
  if (a.kind == Kind::String && b.kind == Kind::String) {
    int c = a.str().compare(b.str());
    return c < 0 ? -1 : c > 0;
  }
  if (temporal_kind(a.kind) && temporal_kind(b.kind)) {
    if ((a.kind == Kind::Time) != (b.kind == Kind::Time)) throw EvalError("cannot compare a time with a date");
    return compare_temporal(a.temporal, a.kind, b.temporal, b.kind);
  }
  Value qa, qb;
  if (as_quantity(a, qa) && as_quantity(b, qb)) {
    double x, y;
    if (!common_units(qa, qb, x, y)) return std::nullopt;
    if (close(x, y)) return 0;
    return x < y ? -1 : 1;
  }
  throw EvalError(std::string("cannot compare ") + std::string(type_name(a)) + " with " + std::string(type_name(b)));
}

bool parse_quantity_text(std::string_view s, Value& out) {
  size_t i = 0;
  while (i < s.size() && s[i] == ' ') ++i;
  size_t b = i;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
  size_t digits_start = i;
  while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i;
  if (i == digits_start) return false;
  int scale = 0;
  if (i < s.size() && s[i] == '.') {
    ++i;
    size_t f = i;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) ++i;
    if (i == f) return false;
    scale = static_cast<int>(i - f);
  }
  std::string number(s.substr(b, i - b));
  std::string unit = "1";
  bool calendar = false;
  while (i < s.size() && s[i] == ' ') ++i;
  if (i < s.size()) {
    if (s[i] == '\'') {
      size_t e = s.find('\'', i + 1);
      if (e == std::string_view::npos || e + 1 != s.size()) return false;
      unit = std::string(s.substr(i + 1, e - i - 1));
    } else {
      std::string_view w = s.substr(i);
      static const char* words[] = {"year", "years", "month", "months", "week", "weeks", "day", "days", "hour", "hours",
                                    "minute", "minutes", "second", "seconds", "millisecond", "milliseconds"};
      bool ok = false;
      for (const char* x : words) ok = ok || w == x;
      if (!ok) return false;
      unit = std::string(w);
      calendar = true;
    }
  }
  out = Value{};
  out.kind = Kind::Quantity;
  out.decimal = std::stod(number);
  out.scale = static_cast<int8_t>(scale);
  out.unit = unit;
  if (calendar) out.text = "calendar";
  return true;
}

std::string_view type_name(const Value& v) {
  if (!v.fhir_type.empty()) return v.fhir_type;
  switch (v.kind) {
    case Kind::Boolean: return "Boolean";
    case Kind::Integer: return "Integer";
    case Kind::Decimal: return "Decimal";
    case Kind::String: return "String";
    case Kind::Date: return "Date";
    case Kind::DateTime: return "DateTime";
    case Kind::Time: return "Time";
    case Kind::Quantity: return "Quantity";
    case Kind::TypeInfo: return "TypeInfo";
    case Kind::Object: return "Element";
  }
  return "";
}

std::string to_string(const Value& v) {
  switch (v.kind) {
    case Kind::Boolean: return v.boolean ? "true" : "false";
    case Kind::Integer: return std::to_string(v.integer);
    case Kind::Decimal: return format_decimal(v.decimal, v.scale);
    case Kind::String: return std::string(v.str());
    case Kind::Date:
    case Kind::DateTime:
    case Kind::Time:
      if (v.node != nullptr && v.node->IsString()) return std::string(v.str());
      return format_temporal(v.temporal, v.kind);
    case Kind::Quantity: {
      std::string s = format_decimal(v.decimal, v.scale);
      if (v.text == "calendar") return s + " " + v.unit;
      return s + " '" + v.unit + "'";
    }
    case Kind::TypeInfo: return v.text + "." + v.unit;
    case Kind::Object: {
      if (v.node == nullptr) return std::string(v.fhir_type);
      rapidjson::StringBuffer sb;
      rapidjson::Writer<rapidjson::StringBuffer> w(sb);
      v.node->Accept(w);
      return std::string(sb.GetString(), sb.GetSize());
    }
  }
  return {};
}

}  // namespace healthd::fhirpath
