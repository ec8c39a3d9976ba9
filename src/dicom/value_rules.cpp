#include "dicom/value_rules.h"
#include "common/utf8.h"

#include <charconv>
#include <cstdint>

#include "dicom/text_decoder.h"

namespace healthd::dicom {

namespace {

bool all_digits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s)
    if (c < '0' || c > '9') return false;
  return true;
}

int number(std::string_view digits) {
  int v = 0;
  std::from_chars(digits.data(), digits.data() + digits.size(), v);
  return v;
}

bool leap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

bool valid_date(std::string_view v) {  // YYYYMMDD
  if (v.size() != 8 || !all_digits(v)) return false;
  int y = number(v.substr(0, 4)), m = number(v.substr(4, 2)), d = number(v.substr(6, 2));
  static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  if (m < 1 || m > 12 || d < 1) return false;
  return d <= days[m - 1] + (m == 2 && leap(y) ? 1 : 0);
}

// HH[MM[SS[.F{1,6}]]]
bool valid_time(std::string_view v) {
  size_t dot = v.find('.');
  std::string_view hms = v.substr(0, dot);
  if (hms.size() != 2 && hms.size() != 4 && hms.size() != 6) return false;
  if (!all_digits(hms)) return false;
  if (number(hms.substr(0, 2)) > 23) return false;
  if (hms.size() >= 4 && number(hms.substr(2, 2)) > 59) return false;
  if (hms.size() == 6 && number(hms.substr(4, 2)) > 60) return false;  // 60: leap second
  if (dot == std::string_view::npos) return true;
  std::string_view frac = v.substr(dot + 1);
  return hms.size() == 6 && frac.size() <= 6 && all_digits(frac);
}

// YYYY[MM[DD[HH[MM[SS[.F{1,6}]]]]]][&ZZXX]
bool valid_datetime(std::string_view v) {
  if (v.size() > 26) return false;
  size_t tz = v.find_first_of("+-", 4);
  std::string_view main = v.substr(0, tz);
  if (tz != std::string_view::npos) {
    std::string_view z = v.substr(tz + 1);
    if (z.size() != 4 || !all_digits(z) || number(z.substr(0, 2)) > 14 || number(z.substr(2, 2)) > 59)
      return false;
  }
  size_t dot = main.find('.');
  std::string_view date_time = main.substr(0, dot);
  if (date_time.size() < 4 || date_time.size() % 2 != 0 || date_time.size() > 14) return false;
  if (!all_digits(date_time)) return false;
  if (date_time.size() >= 6) {
    int m = number(date_time.substr(4, 2));
    if (m < 1 || m > 12) return false;
  }
  if (date_time.size() >= 8 && !valid_date(date_time.substr(0, 8))) return false;
  if (date_time.size() > 8 || dot != std::string_view::npos) {
    if (date_time.size() <= 8) return false;
    return valid_time(main.substr(8));
  }
  return true;
}

bool valid_integer_string(std::string_view v) {  // IS: [+-]digits, 32-bit signed
  size_t b = v.find_first_not_of(' '), e = v.find_last_not_of(' ');
  if (b == std::string_view::npos) return false;
  v = v.substr(b, e - b + 1);
  bool negative = !v.empty() && v[0] == '-';
  if (!v.empty() && (v[0] == '+' || v[0] == '-')) v.remove_prefix(1);
  if (!all_digits(v)) return false;
  int64_t x = 0;
  auto r = std::from_chars(v.data(), v.data() + v.size(), x);
  return r.ec == std::errc() && x <= (negative ? 2147483648LL : 2147483647LL);
}

bool valid_decimal_string(std::string_view v) {  // DS: [+-]d[.d][e[+-]d], spaces around
  size_t b = v.find_first_not_of(' '), e = v.find_last_not_of(' ');
  if (b == std::string_view::npos) return false;
  v = v.substr(b, e - b + 1);
  size_t i = 0;
  if (i < v.size() && (v[i] == '+' || v[i] == '-')) ++i;
  size_t digits = 0;
  while (i < v.size() && v[i] >= '0' && v[i] <= '9') ++i, ++digits;
  if (i < v.size() && v[i] == '.') {
    ++i;
    while (i < v.size() && v[i] >= '0' && v[i] <= '9') ++i, ++digits;
  }
  if (digits == 0) return false;
  if (i < v.size() && (v[i] == 'e' || v[i] == 'E')) {
    ++i;
    if (i < v.size() && (v[i] == '+' || v[i] == '-')) ++i;
    size_t exp = 0;
    while (i < v.size() && v[i] >= '0' && v[i] <= '9') ++i, ++exp;
    if (exp == 0) return false;
  }
  return i == v.size();
}

bool has_control_char(std::string_view v) {
  for (char c : v) {
    auto u = static_cast<unsigned char>(c);
    if (u < 0x20 && u != 0x1B) return true;
  }
  return false;
}

std::string too_long(std::string_view vr, size_t max) {
  return "is longer than " + std::to_string(max) + " characters (" + std::string(vr) + ")";
}

}  // namespace

bool is_valid_uid(std::string_view uid) {
  if (uid.empty() || uid.size() > 64) return false;
  if (uid.front() == '.' || uid.back() == '.') return false;
  char prev = 0;
  for (char c : uid) {
    if (c != '.' && (c < '0' || c > '9')) return false;
    if (c == '.' && prev == '.') return false;
    prev = c;
  }
  return true;
}

std::string check_value(std::string_view vr, std::string_view value) {
  if (value.empty()) return "";  // empty values are allowed by every VR checked here
  if (vr == "UI") return is_valid_uid(value) ? "" : "is not a valid UID (digits and dots, at most 64)";
  if (vr == "DA") return valid_date(value) ? "" : "is not a valid DA (YYYYMMDD)";
  if (vr == "TM") return valid_time(value) ? "" : "is not a valid TM (HHMMSS.FFFFFF)";
  if (vr == "DT") return valid_datetime(value) ? "" : "is not a valid DT (YYYYMMDDHHMMSS.FFFFFF&ZZXX)";
  if (vr == "AS") {
    bool ok = value.size() == 4 && all_digits(value.substr(0, 3)) &&
              std::string_view("DWMY").find(value[3]) != std::string_view::npos;
    return ok ? "" : "is not a valid AS (nnnD, nnnW, nnnM or nnnY)";
  }
  if (vr == "IS") {
    if (value.size() > 12) return too_long(vr, 12);
    return valid_integer_string(value) ? "" : "is not a valid IS (an integer)";
  }
  if (vr == "DS") {
    if (value.size() > 16) return too_long(vr, 16);
    return valid_decimal_string(value) ? "" : "is not a valid DS (a decimal number)";
  }
  if (vr == "CS") {
    if (value.size() > 16) return too_long(vr, 16);
    for (char c : value)
      if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == ' ' || c == '_'))
        return "is not a valid CS (upper case letters, digits, space, underscore)";
    return "";
  }
  if (vr == "AE") {
    if (value.size() > 16) return too_long(vr, 16);
    return has_control_char(value) ? "contains control characters (AE)" : "";
  }
  if (vr == "SH" || vr == "LO") {
    size_t max = vr == "SH" ? 16 : 64;
    if (utf8::length(value) > max) return too_long(vr, max);
    return has_control_char(value) ? "contains control characters (" + std::string(vr) + ")" : "";
  }
  if (vr == "PN") {
    size_t groups = 0, start = 0;
    for (size_t i = 0; i <= value.size(); ++i) {
      if (i < value.size() && value[i] != '=') continue;
      std::string_view group = value.substr(start, i - start);
      if (++groups > 3) return "has more than three component groups (PN)";
      if (utf8::length(group) > 64) return "has a component group longer than 64 characters (PN)";
      size_t carets = 0;
      for (char c : group) carets += c == '^';
      if (carets > 4) return "has more than five components (PN)";
      start = i + 1;
    }
    return has_control_char(value) ? "contains control characters (PN)" : "";
  }
  return "";
}

bool is_numeric_vr(std::string_view vr) {
  return vr == "DS" || vr == "FD" || vr == "FL" || vr == "IS" || vr == "SL" || vr == "SS" || vr == "UL" || vr == "US";
}

}  // namespace healthd::dicom
