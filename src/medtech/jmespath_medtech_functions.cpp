// The extra JMESPath functions of Azure MedTech device mappings (the IoMT FHIR connector's
// Microsoft.Health.Expressions). Semantics follow that implementation (C#, Newtonsoft JTokens):
//
//   add/subtract/multiply/divide/pow(number, number): both integers -> integer arithmetic on a C#
//     long (divide truncates: divide(`7`, `2`) is 3); otherwise double arithmetic. The result must
//     fit a long (else an Arithmetic error; C# wraps on add/multiply, but MedTech documents an
//     error); integer pow rounds the double result to the nearest long, ties to even.
//     Division by zero is an error, for doubles too (JSON has no infinity).
//   insertString(string, string, integer pos): inserts at pos, 0 <= pos <= length (code points).
//   appendString(string, string): concatenation (a later addition upstream).
//   fromUnixTimestamp(integer seconds), fromUnixTimestampMs(integer ms): the UTC instant as the
//     JSON text Newtonsoft writes for a DateTime: 2021-07-07T17:00:00Z, 2021-07-20T16:38:00.123Z.
// "number" means a JSON integer or decimal; "integer" a number written without fraction/exponent.
#include <cmath>
#include <cstdio>
#include <limits>

#include "medtech/jmespath_eval.h"
#include "common/utf8.h"

namespace healthd::medtech::jmespath::detail {

namespace {

using Args = const Val*;

bool is_integer(const Val& v) {
  return v.type() == Type::Number && (v.json().IsInt64() || v.json().IsUint64()) && !v.json().IsDouble();
}

[[noreturn]] void math_error(const Node& call, const std::string& what) {
  Evaluator::fail(ErrorKind::Arithmetic, call, call.name + "(): " + what);
}

// A C# long operand; integers beyond its range are an overflow.
int64_t as_long(const Node& call, const Val& v) {
  const json::Value& j = v.json();
  if (j.IsInt64()) return j.GetInt64();
  math_error(call, "operand does not fit a 64-bit integer");
}

void expect_numbers(const Node& call, Args args) {
  for (size_t i = 0; i < 2; ++i)
    if (args[i].type() != Type::Number) type_error(call, i, "a number", args[i]);
}

Val real_result(Evaluator& ev, const Node& call, double d) {
  if (!std::isfinite(d)) math_error(call, "result is not a finite number");
  return Val::of(ev.arena().real(d));
}

enum class MathOp { Add, Subtract, Multiply, Divide };

Val arithmetic(Evaluator& ev, const Node& call, Args args, MathOp op) {
  expect_numbers(call, args);
  if (is_integer(args[0]) && is_integer(args[1])) {
    int64_t a = as_long(call, args[0]), b = as_long(call, args[1]), r = 0;
    bool overflow = false;
    switch (op) {
      case MathOp::Add: overflow = __builtin_add_overflow(a, b, &r); break;
      case MathOp::Subtract: overflow = __builtin_sub_overflow(a, b, &r); break;
      case MathOp::Multiply: overflow = __builtin_mul_overflow(a, b, &r); break;
      case MathOp::Divide:
        if (b == 0) math_error(call, "division by zero");
        overflow = a == std::numeric_limits<int64_t>::min() && b == -1;
        if (!overflow) r = a / b;
        break;
    }
    if (overflow) math_error(call, "overflow");
    return Val::of(ev.arena().integer(r));
  }
  double a = args[0].number(), b = args[1].number();
  switch (op) {
    case MathOp::Add: return real_result(ev, call, a + b);
    case MathOp::Subtract: return real_result(ev, call, a - b);
    case MathOp::Multiply: return real_result(ev, call, a * b);
    case MathOp::Divide:
      if (b == 0) math_error(call, "division by zero");
      return real_result(ev, call, a / b);
  }
  return Val();
}

Val f_add(Evaluator& ev, const Node& call, Args args, size_t) { return arithmetic(ev, call, args, MathOp::Add); }
Val f_subtract(Evaluator& ev, const Node& call, Args args, size_t) {
  return arithmetic(ev, call, args, MathOp::Subtract);
}
Val f_multiply(Evaluator& ev, const Node& call, Args args, size_t) {
  return arithmetic(ev, call, args, MathOp::Multiply);
}
Val f_divide(Evaluator& ev, const Node& call, Args args, size_t) {
  return arithmetic(ev, call, args, MathOp::Divide);
}

Val f_pow(Evaluator& ev, const Node& call, Args args, size_t) {
  expect_numbers(call, args);
  if (is_integer(args[0]) && is_integer(args[1])) {
    double r = std::pow(static_cast<double>(as_long(call, args[0])), static_cast<double>(as_long(call, args[1])));
    // Convert.ToInt64(double): round half to even, overflow outside the range of a long.
    if (!std::isfinite(r) || r >= 9223372036854775807.0 || r < -9223372036854775808.0) math_error(call, "overflow");
    double lower = std::floor(r), diff = r - lower;
    bool up = diff > 0.5 || (diff == 0.5 && std::fmod(lower, 2.0) != 0.0);
    return Val::of(ev.arena().integer(static_cast<int64_t>(up ? lower + 1 : lower)));
  }
  return real_result(ev, call, std::pow(args[0].number(), args[1].number()));
}

Val f_insert_string(Evaluator& ev, const Node& call, Args args, size_t) {
  expect_type(call, args, 0, Type::String);
  expect_type(call, args, 1, Type::String);
  if (!is_integer(args[2])) type_error(call, 2, "an integer", args[2]);
  std::string_view original = args[0].str();
  const json::Value& pos = args[2].json();
  size_t length = utf8::length(original);
  if (!pos.IsInt64() || pos.GetInt64() < 0 || static_cast<uint64_t>(pos.GetInt64()) > length)
    Evaluator::fail(ErrorKind::InvalidValue, call,
                    "insertString(): position " + json::to_string(pos) + " is outside 0.." + std::to_string(length));
  // Byte offset of the code point at pos.
  size_t byte = 0;
  for (int64_t k = 0; k < pos.GetInt64(); ++k) utf8::decode(original, byte);
  std::string out;
  out.reserve(original.size() + args[1].str().size());
  out.append(original.substr(0, byte)).append(args[1].str()).append(original.substr(byte));
  return Val::of(ev.arena().string(out));
}

Val f_append_string(Evaluator& ev, const Node& call, Args args, size_t) {
  expect_type(call, args, 0, Type::String);
  expect_type(call, args, 1, Type::String);
  std::string out(args[0].str());
  out += args[1].str();
  return Val::of(ev.arena().string(out));
}

// Days since 1970-01-01 to a civil date (proleptic Gregorian).
void civil_from_days(int64_t z, int64_t& y, unsigned& m, unsigned& d) {
  z += 719468;
  int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  auto doe = static_cast<unsigned>(z - era * 146097);
  unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  unsigned mp = (5 * doy + 2) / 153;
  d = doy - (153 * mp + 2) / 5 + 1;
  m = mp < 10 ? mp + 3 : mp - 9;
  y = static_cast<int64_t>(yoe) + era * 400 + (m <= 2);
}

// Newtonsoft's text for a UTC DateTime: seconds, then the milliseconds without trailing zeros.
std::string format_utc(int64_t ms) {
  int64_t days = ms >= 0 ? ms / 86400000 : -((-ms + 86399999) / 86400000);
  int64_t in_day = ms - days * 86400000;
  int64_t y = 0;
  unsigned mo = 0, d = 0;
  civil_from_days(days, y, mo, d);
  auto secs = static_cast<unsigned>(in_day / 1000), frac = static_cast<unsigned>(in_day % 1000);
  char buf[48];
  int n = std::snprintf(buf, sizeof buf, "%04lld-%02u-%02uT%02u:%02u:%02u", static_cast<long long>(y), mo, d,
                        secs / 3600, secs / 60 % 60, secs % 60);
  std::string out(buf, static_cast<size_t>(n));
  if (frac != 0) {
    std::snprintf(buf, sizeof buf, ".%03u", frac);
    std::string f(buf);
    while (f.back() == '0') f.pop_back();
    out += f;
  }
  return out + "Z";
}

Val from_unix(Evaluator& ev, const Node& call, Args args, int64_t unit_ms) {
  if (!is_integer(args[0])) type_error(call, 0, "an integer", args[0]);
  // DateTimeOffset range: 0001-01-01T00:00:00Z .. 9999-12-31T23:59:59.999Z.
  constexpr int64_t kMinMs = -62135596800000, kMaxMs = 253402300799999;
  const json::Value& v = args[0].json();
  if (!v.IsInt64() || v.GetInt64() < kMinMs / unit_ms || v.GetInt64() > kMaxMs / unit_ms)
    Evaluator::fail(ErrorKind::InvalidValue, call, call.name + "(): timestamp out of range");
  return Val::of(ev.arena().string(format_utc(v.GetInt64() * unit_ms)));
}

Val f_from_unix_timestamp(Evaluator& ev, const Node& call, Args args, size_t) {
  return from_unix(ev, call, args, 1000);
}
Val f_from_unix_timestamp_ms(Evaluator& ev, const Node& call, Args args, size_t) {
  return from_unix(ev, call, args, 1);
}

constexpr FunctionDef kFunctions[] = {
    {"add", 2, 2, f_add},
    {"appendString", 2, 2, f_append_string},
    {"divide", 2, 2, f_divide},
    {"fromUnixTimestamp", 1, 1, f_from_unix_timestamp},
    {"fromUnixTimestampMs", 1, 1, f_from_unix_timestamp_ms},
    {"insertString", 3, 3, f_insert_string},
    {"multiply", 2, 2, f_multiply},
    {"pow", 2, 2, f_pow},
    {"subtract", 2, 2, f_subtract},
};

}  // namespace

const FunctionDef* find_medtech_function(std::string_view name) {
  for (const FunctionDef& f : kFunctions)
    if (f.name == name) return &f;
  return nullptr;
}

}  // namespace healthd::medtech::jmespath::detail
