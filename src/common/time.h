// Time in healthd: microseconds since the Unix epoch (UTC), with FHIR and HTTP formats.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace healthd {

int64_t now_us();

// FHIR instant with millisecond precision: 2026-11-26T10:52:19.123Z
std::string format_instant(int64_t us);
// RFC 7231 HTTP date: Thu, 26 Nov 2026 10:52:19 GMT
std::string format_http_date(int64_t us);
std::optional<int64_t> parse_http_date(std::string_view s);

// Reads exactly n decimal digits at s[pos..pos+n) into out; false when short or not digits.
bool parse_digits(std::string_view s, size_t pos, size_t n, int& out);
// Days in month m (1-12) of year y, leap years included.
int days_in_month(int year, int month);

// A FHIR date, dateTime or instant as the half-open range [start, end) its precision covers:
// "2026" covers the whole year, "2026-11-26T10:52:19Z" one second. Without a timezone a
// time is read as UTC. nullopt when the text is not a valid date/dateTime/instant.
struct TimeRange {
  int64_t start_us;
  int64_t end_us;
};
std::optional<TimeRange> parse_fhir_datetime_range(std::string_view s);

}  // namespace healthd
