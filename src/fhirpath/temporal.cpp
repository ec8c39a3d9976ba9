// Date, DateTime and Time values: parsing, formatting, comparison with precision, calendar arithmetic.
#include <chrono>
#include <cmath>
#include <cstdio>
#include <ctime>

#include "common/time.h"
#include "fhirpath/internal.h"

namespace healthd::fhirpath {
namespace {

using healthd::days_in_month;  // FHIRPath literals share FHIR's date fields (common/time.h)
using healthd::parse_digits;

int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

void civil_from_days(int64_t z, int& y, int& m, int& d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t yy = static_cast<int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  d = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  m = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  y = static_cast<int>(yy + (m <= 2));
}

// Parses hh[:mm[:ss[.fff]]] at s[i]; advances i.
bool parse_time_part(std::string_view s, size_t& i, Temporal& t) {
  int v;
  if (!parse_digits(s, i, 2, v) || v > 23) return false;
  t.hour = static_cast<uint8_t>(v);
  t.precision = Precision::Hour;
  i += 2;
  if (i < s.size() && s[i] == ':') {
    if (!parse_digits(s, i + 1, 2, v) || v > 59) return false;
    t.minute = static_cast<uint8_t>(v);
    t.precision = Precision::Minute;
    i += 3;
    if (i < s.size() && s[i] == ':') {
      if (!parse_digits(s, i + 1, 2, v) || v > 59) return false;
      t.second = static_cast<uint8_t>(v);
      t.precision = Precision::Second;
      i += 3;
      if (i < s.size() && s[i] == '.') {
        ++i;
        size_t b = i;
        int ms = 0, n = 0;
        while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
          if (n < 3) ms = ms * 10 + (s[i] - '0');
          ++n;
          ++i;
        }
        if (i == b) return false;
        while (n < 3) {
          ms *= 10;
          ++n;
        }
        t.millis = static_cast<uint16_t>(ms);
        t.precision = Precision::Millisecond;
      }
    }
  }
  return true;
}

// Normalizes a date-time with a timezone to UTC (fields only, keeps precision).
Temporal to_utc(const Temporal& t) {
  if (!t.has_tz || t.precision < Precision::Hour || t.tz_minutes == 0) return t;
  int64_t minutes = days_from_civil(t.year, t.month, t.day) * 1440 + t.hour * 60 + t.minute - t.tz_minutes;
  Temporal r = t;
  int64_t days = minutes >= 0 ? minutes / 1440 : -((-minutes + 1439) / 1440);
  int64_t rem = minutes - days * 1440;
  int y, m, d;
  civil_from_days(days, y, m, d);
  r.year = y;
  r.month = static_cast<uint8_t>(m);
  r.day = static_cast<uint8_t>(d);
  r.hour = static_cast<uint8_t>(rem / 60);
  r.minute = static_cast<uint8_t>(rem % 60);
  r.tz_minutes = 0;
  return r;
}

}  // namespace

bool parse_temporal(std::string_view s, Kind kind, Temporal& t) {
  t = Temporal{};
  size_t i = 0;
  if (kind == Kind::Time) {
    if (!s.empty() && s[0] == 'T') i = 1;
    return parse_time_part(s, i, t) && i == s.size();
  }
  int v;
  if (!parse_digits(s, 0, 4, v)) return false;
  t.year = v;
  t.precision = Precision::Year;
  i = 4;
  if (i < s.size() && s[i] == '-') {
    if (!parse_digits(s, i + 1, 2, v) || v < 1 || v > 12) return false;
    t.month = static_cast<uint8_t>(v);
    t.precision = Precision::Month;
    i += 3;
    if (i < s.size() && s[i] == '-') {
      if (!parse_digits(s, i + 1, 2, v) || v < 1 || v > days_in_month(t.year, t.month)) return false;
      t.day = static_cast<uint8_t>(v);
      t.precision = Precision::Day;
      i += 3;
    }
  }
  if (i == s.size()) return true;
  if (kind == Kind::Date) return false;
  if (s[i] != 'T') return false;
  ++i;
  if (i == s.size()) return true;  // "2015T"
  if (t.precision != Precision::Day) return false;
  if (!parse_time_part(s, i, t)) return false;
  if (i == s.size()) return true;
  if (s[i] == 'Z') {
    t.has_tz = true;
    return i + 1 == s.size();
  }
  if (s[i] == '+' || s[i] == '-') {
    int hh, mm;
    if (!parse_digits(s, i + 1, 2, hh) || i + 3 >= s.size() || s[i + 3] != ':' || !parse_digits(s, i + 4, 2, mm)) return false;
    t.has_tz = true;
    t.tz_minutes = static_cast<int16_t>((hh * 60 + mm) * (s[i] == '-' ? -1 : 1));
    return i + 6 == s.size();
  }
  return false;
}

std::string format_temporal(const Temporal& t, Kind kind) {
  char buf[64];
  std::string out;
  auto time = [&]() {
    std::snprintf(buf, sizeof buf, "%02d", t.hour);
    out += buf;
    if (t.precision >= Precision::Minute) {
      std::snprintf(buf, sizeof buf, ":%02d", t.minute);
      out += buf;
    }
    if (t.precision >= Precision::Second) {
      std::snprintf(buf, sizeof buf, ":%02d", t.second);
      out += buf;
    }
    if (t.precision >= Precision::Millisecond) {
      std::snprintf(buf, sizeof buf, ".%03d", t.millis);
      out += buf;
    }
  };
  if (kind == Kind::Time) {
    time();
    return out;
  }
  std::snprintf(buf, sizeof buf, "%04d", t.year);
  out += buf;
  if (t.precision >= Precision::Month) {
    std::snprintf(buf, sizeof buf, "-%02d", t.month);
    out += buf;
  }
  if (t.precision >= Precision::Day) {
    std::snprintf(buf, sizeof buf, "-%02d", t.day);
    out += buf;
  }
  if (kind == Kind::DateTime && t.precision >= Precision::Hour) {
    out += 'T';
    time();
    if (t.has_tz) {
      if (t.tz_minutes == 0) {
        out += 'Z';
      } else {
        int m = std::abs(t.tz_minutes);
        std::snprintf(buf, sizeof buf, "%c%02d:%02d", t.tz_minutes < 0 ? '-' : '+', m / 60, m % 60);
        out += buf;
      }
    }
  }
  return out;
}

std::optional<int> compare_temporal(const Temporal& a0, Kind ka, const Temporal& b0, Kind kb) {
  Temporal a = to_utc(a0), b = to_utc(b0);
  auto field = [](const Temporal& t, int i) -> int64_t {
    switch (i) {
      case 0: return t.year;
      case 1: return t.month;
      case 2: return t.day;
      case 3: return t.hour;
      case 4: return t.minute;
      default: return t.second * 1000 + t.millis;  // seconds and milliseconds are one precision
    }
  };
  if (ka == Kind::DateTime && kb == Kind::DateTime && a.has_tz != b.has_tz && a.precision >= Precision::Hour &&
      b.precision >= Precision::Hour)
    return std::nullopt;  // one has a timezone, the other not: undecidable
  int first = (ka == Kind::Time) ? 3 : 0;
  auto level = [](Precision p) { return p == Precision::Millisecond ? 5 : static_cast<int>(p) - 1; };
  int la = level(a.precision), lb = level(b.precision);
  int common = std::min(la, lb);
  for (int i = first; i <= common; ++i) {
    int64_t x = field(a, i), y = field(b, i);
    if (x != y) return x < y ? -1 : 1;
  }
  if (la != lb) return std::nullopt;
  return 0;
}

bool add_duration(Temporal& t, Kind kind, double amount, std::string_view unit) {
  if (!unit.empty() && unit.back() == 's' && unit.size() > 2 && unit != "ms") unit.remove_suffix(1);  // plural
  int64_t n = static_cast<int64_t>(amount);  // truncation toward zero
  if (unit == "year" || unit == "a") {
    if (kind == Kind::Time) return false;
    t.year += static_cast<int32_t>(n);
    if (t.precision >= Precision::Day) t.day = static_cast<uint8_t>(std::min<int>(t.day, days_in_month(t.year, t.month)));
    return true;
  }
  if (unit == "month" || unit == "mo") {
    if (kind == Kind::Time) return false;
    if (t.precision < Precision::Month) {
      t.year += static_cast<int32_t>(n / 12);
      return true;
    }
    int64_t m = static_cast<int64_t>(t.year) * 12 + (t.month - 1) + n;
    t.year = static_cast<int32_t>(m >= 0 ? m / 12 : -((-m + 11) / 12));
    t.month = static_cast<uint8_t>(m - static_cast<int64_t>(t.year) * 12 + 1);
    if (t.precision >= Precision::Day) t.day = static_cast<uint8_t>(std::min<int>(t.day, days_in_month(t.year, t.month)));
    return true;
  }
  double ms;
  if (unit != "ms" && unit != "millisecond") amount = std::trunc(amount);  // calendar arithmetic in whole units
  if (unit == "week" || unit == "wk") ms = amount * 7 * 86400000.0;
  else if (unit == "day" || unit == "d") ms = amount * 86400000.0;
  else if (unit == "hour" || unit == "h") ms = amount * 3600000.0;
  else if (unit == "minute" || unit == "min") ms = amount * 60000.0;
  else if (unit == "second" || unit == "s") ms = amount * 1000.0;
  else if (unit == "millisecond" || unit == "ms") ms = amount;
  else return false;
  if (kind == Kind::Date || (kind == Kind::DateTime && t.precision <= Precision::Day)) {
    if (t.precision < Precision::Day) return true;  // days and below do not change a year or month value
    int64_t days = static_cast<int64_t>(ms / 86400000.0);
    int64_t z = days_from_civil(t.year, t.month, t.day) + days;
    int y, m, d;
    civil_from_days(z, y, m, d);
    t.year = y;
    t.month = static_cast<uint8_t>(m);
    t.day = static_cast<uint8_t>(d);
    return true;
  }
  int64_t total;
  int64_t delta = static_cast<int64_t>(std::llround(ms));
  if (kind == Kind::Time) {
    total = ((t.hour * 60 + t.minute) * 60 + t.second) * 1000LL + t.millis + delta;
    const int64_t day = 86400000LL;
    total = ((total % day) + day) % day;
  } else {
    total = (days_from_civil(t.year, t.month, t.day) * 86400LL + (t.hour * 60 + t.minute) * 60 + t.second) * 1000LL +
            t.millis + delta;
    int64_t days = total >= 0 ? total / 86400000LL : -((-total + 86400000LL - 1) / 86400000LL);
    int y, m, d;
    civil_from_days(days, y, m, d);
    t.year = y;
    t.month = static_cast<uint8_t>(m);
    t.day = static_cast<uint8_t>(d);
    total -= days * 86400000LL;
  }
  t.millis = static_cast<uint16_t>(total % 1000);
  total /= 1000;
  t.second = static_cast<uint8_t>(total % 60);
  total /= 60;
  t.minute = static_cast<uint8_t>(total % 60);
  t.hour = static_cast<uint8_t>(total / 60);
  return true;
}

Temporal now_temporal() {
  auto now = std::chrono::system_clock::now();
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
  std::time_t secs = static_cast<std::time_t>(ms / 1000);
  std::tm tm{};
  localtime_r(&secs, &tm);
  Temporal t;
  t.year = tm.tm_year + 1900;
  t.month = static_cast<uint8_t>(tm.tm_mon + 1);
  t.day = static_cast<uint8_t>(tm.tm_mday);
  t.hour = static_cast<uint8_t>(tm.tm_hour);
  t.minute = static_cast<uint8_t>(tm.tm_min);
  t.second = static_cast<uint8_t>(tm.tm_sec);
  t.millis = static_cast<uint16_t>(ms % 1000);
  t.precision = Precision::Millisecond;
  t.has_tz = true;
  t.tz_minutes = static_cast<int16_t>(tm.tm_gmtoff / 60);
  return t;
}

}  // namespace healthd::fhirpath
