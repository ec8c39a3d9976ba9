#include "medtech/timestamp.h"

#include <cstdio>

#include "common/time.h"

namespace healthd::medtech {

namespace {

// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
int64_t days_from_civil(int64_t y, int m, int d) {
  y -= m <= 2;
  int64_t era = (y >= 0 ? y : y - 399) / 400;
  int64_t yoe = y - era * 400;
  int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

struct Civil {
  int64_t year;
  int month, day, hour, minute, second, micros;
};

Civil to_civil(int64_t us) {
  int64_t secs = us >= 0 ? us / 1000000 : (us - 999999) / 1000000;
  int micros = static_cast<int>(us - secs * 1000000);
  int64_t days = secs >= 0 ? secs / 86400 : (secs - 86399) / 86400;
  int64_t sod = secs - days * 86400;
  int64_t z = days + 719468;
  int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  int64_t doe = z - era * 146097;
  int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  int64_t mp = (5 * doy + 2) / 153;
  int d = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  int m = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  int64_t y = yoe + era * 400 + (m <= 2);
  return Civil{y, m, d, static_cast<int>(sod / 3600), static_cast<int>(sod / 60 % 60), static_cast<int>(sod % 60), micros};
}

bool digits(std::string_view s, size_t pos, size_t n, int& out) { return parse_digits(s, pos, n, out); }

// Parses an offset at s[pos..]: Z, +HH:MM, +HHMM, +HH, +H (the "+0" fromUnixTimestamp writes).
bool parse_offset(std::string_view s, size_t pos, int64_t& offset_us) {
  if (pos == s.size()) return true;
  if (s[pos] == 'Z' || s[pos] == 'z') return pos + 1 == s.size();
  if (s[pos] != '+' && s[pos] != '-') return false;
  int sign = s[pos] == '+' ? 1 : -1;
  std::string_view rest = s.substr(pos + 1);
  int h = 0, m = 0;
  if (rest.size() == 1 && digits(rest, 0, 1, h)) {
  } else if (rest.size() == 2 && digits(rest, 0, 2, h)) {
  } else if (rest.size() == 4 && digits(rest, 0, 2, h) && digits(rest, 2, 2, m)) {
  } else if (rest.size() == 5 && rest[2] == ':' && digits(rest, 0, 2, h) && digits(rest, 3, 2, m)) {
  } else {
    return false;
  }
  if (h > 23 || m > 59) return false;
  offset_us = sign * (h * 3600LL + m * 60LL) * 1000000;
  return true;
}

}  // namespace

std::optional<int64_t> parse_timestamp(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  int y, mo, d, h = 0, mi = 0, sec = 0;
  if (s.size() < 10 || !digits(s, 0, 4, y) || s[4] != '-' || !digits(s, 5, 2, mo) || s[7] != '-' ||
      !digits(s, 8, 2, d))
    return std::nullopt;
  if (mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo)) return std::nullopt;
  size_t pos = 10;
  int64_t frac = 0;
  if (pos < s.size() && (s[pos] == 'T' || s[pos] == 't' || s[pos] == ' ')) {
    if (!digits(s, pos + 1, 2, h) || pos + 3 >= s.size() || s[pos + 3] != ':' || !digits(s, pos + 4, 2, mi))
      return std::nullopt;
    if (h > 23 || mi > 59) return std::nullopt;
    pos += 6;
    if (pos < s.size() && s[pos] == ':') {
      if (!digits(s, pos + 1, 2, sec) || sec > 59) return std::nullopt;
      pos += 3;
      if (pos < s.size() && (s[pos] == '.' || s[pos] == ',')) {
        size_t start = ++pos;
        int64_t scale = 100000;
        while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
          frac += (s[pos] - '0') * scale;
          scale /= 10;
          ++pos;
        }
        if (pos == start) return std::nullopt;
      }
    }
  }
  int64_t offset = 0;
  if (!parse_offset(s, pos, offset)) return std::nullopt;
  int64_t secs = days_from_civil(y, mo, d) * 86400 + h * 3600LL + mi * 60LL + sec;
  return secs * 1000000 + frac - offset;
}

std::string format_timestamp(int64_t us) {
  Civil c = to_civil(us);
  char buf[64];
  int n = std::snprintf(buf, sizeof buf, "%04lld-%02d-%02dT%02d:%02d:%02d", static_cast<long long>(c.year), c.month,
                        c.day, c.hour, c.minute, c.second);
  if (c.micros % 1000 == 0 && c.micros != 0)
    n += std::snprintf(buf + n, sizeof buf - n, ".%03d", c.micros / 1000);
  else if (c.micros != 0)
    n += std::snprintf(buf + n, sizeof buf - n, ".%06d", c.micros);
  std::snprintf(buf + n, sizeof buf - n, "Z");
  return buf;
}

std::string format_identifier_time(int64_t us) {
  Civil c = to_civil(us);
  char buf[32];
  std::snprintf(buf, sizeof buf, "%04lld%02d%02d%02d%02d%02dZ", static_cast<long long>(c.year), c.month, c.day, c.hour,
                c.minute, c.second);
  return buf;
}

}  // namespace healthd::medtech
