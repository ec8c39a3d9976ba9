#include "fhir/primitive_kind.h"

#include <array>
#include <limits>

namespace healthd::fhir {

namespace {

constexpr std::array<std::string_view, 20> kNames = {
    "boolean", "integer", "unsignedInt", "positiveInt", "decimal", "string",      "markdown",
    "code",    "id",      "uri",         "url",         "canonical", "oid",       "uuid",
    "base64Binary", "instant", "date",   "dateTime",    "time",      "xhtml",
};

bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_space(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v'; }
bool is_hex_lower(char c) { return is_digit(c) || (c >= 'a' && c <= 'f'); }

// Reads n digits at s[pos] into *out; false when there are fewer.
bool digits(std::string_view s, size_t pos, size_t n, int* out) {
  if (pos + n > s.size()) return false;
  int v = 0;
  for (size_t i = 0; i < n; ++i) {
    char c = s[pos + i];
    if (!is_digit(c)) return false;
    v = v * 10 + (c - '0');
  }
  *out = v;
  return true;
}

int days_in_month(int year, int month) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (month == 2 && ((year % 4 == 0 && year % 100 != 0) || year % 400 == 0)) return 29;
  return kDays[month - 1];
}

enum class DatePrecision { Year, Month, Day };

// Parses YYYY, YYYY-MM or YYYY-MM-DD at the start of s; *end is where it stopped.
const char* parse_date(std::string_view s, size_t* end, DatePrecision* precision) {
  int year, month, day;
  if (!digits(s, 0, 4, &year)) return "expected a 4-digit year";
  if (year == 0) return "year 0000 is not allowed";
  *precision = DatePrecision::Year;
  *end = 4;
  if (s.size() == 4 || s[4] != '-') return nullptr;
  if (!digits(s, 5, 2, &month)) return "expected a 2-digit month after the year";
  if (month < 1 || month > 12) return "month must be 01-12";
  *precision = DatePrecision::Month;
  *end = 7;
  if (s.size() == 7 || s[7] != '-') return nullptr;
  if (!digits(s, 8, 2, &day)) return "expected a 2-digit day after the month";
  if (day < 1 || day > days_in_month(year, month)) return "day is not valid for the month";
  *precision = DatePrecision::Day;
  *end = 10;
  return nullptr;
}

// Parses hh:mm:ss(.fraction)? at s[pos]; *end is where it stopped.
const char* parse_time(std::string_view s, size_t pos, size_t* end) {
  int h, m, sec;
  if (!digits(s, pos, 2, &h) || pos + 2 >= s.size() || s[pos + 2] != ':' || !digits(s, pos + 3, 2, &m))
    return "time must be hh:mm:ss";
  if (pos + 5 >= s.size() || s[pos + 5] != ':' || !digits(s, pos + 6, 2, &sec))
    return "time must include seconds (hh:mm:ss)";
  if (h > 23 || m > 59 || sec > 60) return "time is out of range";
  size_t p = pos + 8;
  if (p < s.size() && s[p] == '.') {
    size_t start = ++p;
    while (p < s.size() && is_digit(s[p])) ++p;
    if (p == start) return "fractional seconds need at least one digit";
  }
  *end = p;
  return nullptr;
}

// Parses Z or +hh:mm / -hh:mm (up to +14:00) at s[pos] that must end the string.
const char* parse_timezone(std::string_view s, size_t pos) {
  if (pos >= s.size()) return "a time zone (Z or +hh:mm) is required when a time is given";
  if (s[pos] == 'Z') return pos + 1 == s.size() ? nullptr : "unexpected text after the time zone";
  if (s[pos] != '+' && s[pos] != '-') return "a time zone (Z or +hh:mm) is required when a time is given";
  int h, m;
  if (!digits(s, pos + 1, 2, &h) || pos + 3 >= s.size() || s[pos + 3] != ':' || !digits(s, pos + 4, 2, &m))
    return "time zone must be Z or +hh:mm";
  if (pos + 6 != s.size()) return "unexpected text after the time zone";
  if (m > 59 || h > 14 || (h == 14 && m != 0)) return "time zone offset is out of range";
  return nullptr;
}

const char* check_date(std::string_view s) {
  size_t end;
  DatePrecision p;
  if (const char* why = parse_date(s, &end, &p)) return why;
  return end == s.size() ? nullptr : "date must be YYYY, YYYY-MM or YYYY-MM-DD";
}

const char* check_date_time(std::string_view s, bool instant) {
  size_t end;
  DatePrecision p;
  if (const char* why = parse_date(s, &end, &p)) return why;
  if (end == s.size()) return instant ? "an instant needs a full date, time and time zone" : nullptr;
  if (p != DatePrecision::Day || s[end] != 'T') return "expected 'T' and a time after a full date";
  if (const char* why = parse_time(s, end + 1, &end)) return why;
  return parse_timezone(s, end);
}

const char* check_time(std::string_view s) {
  size_t end;
  if (const char* why = parse_time(s, 0, &end)) return why;
  return end == s.size() ? nullptr : "time must be hh:mm:ss with optional fraction and no time zone";
}

// [^\s]+(\s[^\s]+)*
const char* check_code(std::string_view s) {
  if (is_space(s.front()) || is_space(s.back())) return "code must not have leading or trailing whitespace";
  for (size_t i = 1; i < s.size(); ++i)
    if (is_space(s[i]) && is_space(s[i - 1])) return "code must not contain consecutive whitespace";
  return nullptr;
}

// [A-Za-z0-9\-\.]{1,64}
const char* check_id(std::string_view s) {
  if (s.size() > 64) return "id must be at most 64 characters";
  for (char c : s) {
    bool ok = is_digit(c) || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '-' || c == '.';
    if (!ok) return "id may only contain A-Z, a-z, 0-9, '-' and '.'";
  }
  return nullptr;
}

// \S*
const char* check_no_whitespace(std::string_view s) {
  for (char c : s)
    if (is_space(c)) return "must not contain whitespace";
  return nullptr;
}

// urn:oid:[0-2](\.(0|[1-9][0-9]*))+
const char* check_oid(std::string_view s) {
  constexpr std::string_view kPrefix = "urn:oid:";
  const char* bad = "oid must look like urn:oid:1.2.3";
  if (s.substr(0, kPrefix.size()) != kPrefix) return bad;
  size_t p = kPrefix.size();
  if (p >= s.size() || s[p] < '0' || s[p] > '2') return bad;
  ++p;
  if (p == s.size()) return bad;
  while (p < s.size()) {
    if (s[p] != '.' || p + 1 >= s.size() || !is_digit(s[p + 1])) return bad;
    ++p;
    if (s[p] == '0' && p + 1 < s.size() && is_digit(s[p + 1])) return bad;  // no leading zeros
    while (p < s.size() && is_digit(s[p])) ++p;
  }
  return nullptr;
}

// urn:uuid:8-4-4-4-12 lowercase hex
const char* check_uuid(std::string_view s) {
  constexpr std::string_view kPrefix = "urn:uuid:";
  const char* bad = "uuid must look like urn:uuid:xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx (lowercase hex)";
  if (s.size() != kPrefix.size() + 36 || s.substr(0, kPrefix.size()) != kPrefix) return bad;
  for (size_t i = 0; i < 36; ++i) {
    char c = s[kPrefix.size() + i];
    bool dash = i == 8 || i == 13 || i == 18 || i == 23;
    if (dash ? c != '-' : !is_hex_lower(c)) return bad;
  }
  return nullptr;
}

// (\s*([0-9a-zA-Z\+/=]){4}\s*)+
const char* check_base64(std::string_view s) {
  size_t n = 0;
  for (char c : s) {
    if (is_space(c)) continue;
    bool ok = is_digit(c) || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '+' || c == '/' || c == '=';
    if (!ok) return "base64Binary contains a character outside the base64 alphabet";
    ++n;
  }
  if (n == 0 || n % 4 != 0) return "base64Binary length must be a multiple of 4";
  return nullptr;
}

// The root of a narrative must be a <div> element (no full XHTML parse).
const char* check_xhtml(std::string_view s) {
  size_t b = 0, e = s.size();
  while (b < e && is_space(s[b])) ++b;
  while (e > b && is_space(s[e - 1])) --e;
  std::string_view t = s.substr(b, e - b);
  if (t.substr(0, 4) != "<div" || t.size() < 6 || (t[4] != ' ' && t[4] != '>' && t[4] != '/' && !is_space(t[4])))
    return "xhtml must be a <div> element";
  if (t.substr(t.size() - 6) != "</div>" && t.substr(t.size() - 2) != "/>") return "xhtml must end with </div>";
  return nullptr;
}

}  // namespace

std::optional<PrimitiveKind> primitive_kind(std::string_view type_code) {
  for (size_t i = 0; i < kNames.size(); ++i)
    if (kNames[i] == type_code) return static_cast<PrimitiveKind>(i);
  return std::nullopt;
}

std::string_view primitive_name(PrimitiveKind kind) { return kNames[static_cast<size_t>(kind)]; }

JsonShape json_shape(PrimitiveKind kind) {
  switch (kind) {
    case PrimitiveKind::Boolean: return JsonShape::Boolean;
    case PrimitiveKind::Integer:
    case PrimitiveKind::UnsignedInt:
    case PrimitiveKind::PositiveInt: return JsonShape::Integer;
    case PrimitiveKind::Decimal: return JsonShape::Number;
    default: return JsonShape::String;
  }
}

const char* check_string_format(PrimitiveKind kind, std::string_view s) {
  if (s.empty()) return "must not be an empty string";
  switch (kind) {
    case PrimitiveKind::Code: return check_code(s);
    case PrimitiveKind::Id: return check_id(s);
    case PrimitiveKind::Uri:
    case PrimitiveKind::Url:
    case PrimitiveKind::Canonical: return check_no_whitespace(s);
    case PrimitiveKind::Oid: return check_oid(s);
    case PrimitiveKind::Uuid: return check_uuid(s);
    case PrimitiveKind::Base64Binary: return check_base64(s);
    case PrimitiveKind::Instant: return check_date_time(s, true);
    case PrimitiveKind::Date: return check_date(s);
    case PrimitiveKind::DateTime: return check_date_time(s, false);
    case PrimitiveKind::Time: return check_time(s);
    case PrimitiveKind::Xhtml: return check_xhtml(s);
    default: return nullptr;  // string, markdown: any non-empty text
  }
}

const char* check_integer_range(PrimitiveKind kind, int64_t v) {
  if (v < std::numeric_limits<int32_t>::min() || v > std::numeric_limits<int32_t>::max())
    return "integer is outside the 32-bit range";
  if (kind == PrimitiveKind::UnsignedInt && v < 0) return "unsignedInt must be 0 or more";
  if (kind == PrimitiveKind::PositiveInt && v < 1) return "positiveInt must be 1 or more";
  return nullptr;
}

}  // namespace healthd::fhir
