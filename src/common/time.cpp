#include "common/time.h"

#include <chrono>
#include <cstdio>
#include <cstring>
#include <ctime>

namespace healthd {

int64_t now_us() {
  using namespace std::chrono;
  return duration_cast<microseconds>(system_clock::now().time_since_epoch()).count();
}

static std::tm utc_tm(int64_t us) {
  time_t secs = static_cast<time_t>(us >= 0 ? us / 1000000 : (us - 999999) / 1000000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  return tm;
}

std::string format_instant(int64_t us) {
  std::tm tm = utc_tm(us);
  int ms = static_cast<int>(((us % 1000000) + 1000000) % 1000000 / 1000);
  char buf[80];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                tm.tm_hour, tm.tm_min, tm.tm_sec, ms);
  return buf;
}

static const char* kDays[] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
static const char* kMonths[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

std::string format_http_date(int64_t us) {
  std::tm tm = utc_tm(us);
  char buf[80];
  std::snprintf(buf, sizeof buf, "%s, %02d %s %04d %02d:%02d:%02d GMT", kDays[tm.tm_wday], tm.tm_mday,
                kMonths[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min, tm.tm_sec);
  return buf;
}

std::optional<int64_t> parse_http_date(std::string_view s) {
  // IMF-fixdate only (what every current client sends): "Sun, 06 Nov 1994 08:49:37 GMT"
  std::string text(s);
  std::tm tm{};
  char day[4], mon[4], zone[4];
  int d, y, H, M, S;
  if (std::sscanf(text.c_str(), "%3s, %d %3s %d %d:%d:%d %3s", day, &d, mon, &y, &H, &M, &S, zone) != 8) return std::nullopt;
  int m = -1;
  for (int i = 0; i < 12; ++i)
    if (std::strcmp(mon, kMonths[i]) == 0) m = i;
  if (m < 0 || std::strcmp(zone, "GMT") != 0) return std::nullopt;
  tm.tm_year = y - 1900;
  tm.tm_mon = m;
  tm.tm_mday = d;
  tm.tm_hour = H;
  tm.tm_min = M;
  tm.tm_sec = S;
  return static_cast<int64_t>(timegm(&tm)) * 1000000;
}

bool parse_digits(std::string_view s, size_t pos, size_t n, int& out) {
  if (pos + n > s.size()) return false;
  int v = 0;
  for (size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    v = v * 10 + (s[i] - '0');
  }
  out = v;
  return true;
}

int days_in_month(int y, int m) {
  static const int d[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
  return m == 2 && leap ? 29 : d[(m - 1) % 12];
}

namespace {

int64_t to_us(int y, int mo, int d, int h, int mi, int s) {
  std::tm tm{};
  tm.tm_year = y - 1900;
  tm.tm_mon = mo - 1;
  tm.tm_mday = d;
  tm.tm_hour = h;
  tm.tm_min = mi;
  tm.tm_sec = s;
  return static_cast<int64_t>(timegm(&tm)) * 1000000;
}

}  // namespace

std::optional<TimeRange> parse_fhir_datetime_range(std::string_view s) {
  int y = 0, mo = 1, d = 1, h = 0, mi = 0, sec = 0;
  if (!parse_digits(s, 0, 4, y)) return std::nullopt;
  if (s.size() == 4) return TimeRange{to_us(y, 1, 1, 0, 0, 0), to_us(y + 1, 1, 1, 0, 0, 0)};
  if (s[4] != '-' || !parse_digits(s, 5, 2, mo) || mo < 1 || mo > 12) return std::nullopt;
  if (s.size() == 7) return TimeRange{to_us(y, mo, 1, 0, 0, 0), to_us(mo == 12 ? y + 1 : y, mo == 12 ? 1 : mo + 1, 1, 0, 0, 0)};
  if (s[7] != '-' || !parse_digits(s, 8, 2, d) || d < 1 || d > days_in_month(y, mo)) return std::nullopt;
  if (s.size() == 10) {
    int64_t start = to_us(y, mo, d, 0, 0, 0);
    return TimeRange{start, start + 86400LL * 1000000};
  }
  if (s[10] != 'T' || !parse_digits(s, 11, 2, h) || h > 23 || s.size() < 16 || s[13] != ':' || !parse_digits(s, 14, 2, mi) || mi > 59)
    return std::nullopt;
  size_t pos = 16;
  int64_t width = 60LL * 1000000;  // minute precision unless seconds follow
  int64_t frac_us = 0;
  if (pos < s.size() && s[pos] == ':') {
    if (!parse_digits(s, pos + 1, 2, sec) || sec > 60) return std::nullopt;
    pos += 3;
    width = 1000000;
    if (pos < s.size() && s[pos] == '.') {
      size_t start = ++pos;
      int64_t scale = 100000;
      while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
        frac_us += (s[pos] - '0') * scale;
        scale /= 10;
        ++pos;
      }
      if (pos == start) return std::nullopt;
      size_t n = pos - start;
      width = 1;
      for (size_t i = n; i < 6; ++i) width *= 10;
      if (n > 6) width = 1;
    }
  }
  int64_t offset_us = 0;
  if (pos < s.size()) {
    if (s[pos] == 'Z') {
      ++pos;
    } else if (s[pos] == '+' || s[pos] == '-') {
      int oh, om;
      if (!parse_digits(s, pos + 1, 2, oh) || pos + 3 >= s.size() || s[pos + 3] != ':' || !parse_digits(s, pos + 4, 2, om))
        return std::nullopt;
      offset_us = (oh * 3600LL + om * 60LL) * 1000000 * (s[pos] == '+' ? 1 : -1);
      pos += 6;
    } else {
      return std::nullopt;
    }
  }
  if (pos != s.size()) return std::nullopt;
  int64_t start = to_us(y, mo, d, h, mi, sec) + frac_us - offset_us;
  return TimeRange{start, start + width};
}

}  // namespace healthd
