// Measurement timestamps: ISO 8601 text to microseconds since the Unix epoch (UTC) and back.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace healthd::medtech {

// Accepts what device messages carry: 2019-02-01T22:46:01.8750000Z, 2023-10-09T19:18:23+00:00,
// +0100 / +01 / +0 offsets, a space instead of 'T', minutes without seconds, a date alone
// (midnight). Without an offset the time is read as UTC. Fractions beyond microseconds are
// truncated. nullopt when the text is not such a timestamp.
std::optional<int64_t> parse_timestamp(std::string_view text);

// 2019-02-01T22:46:01Z, 2019-02-01T22:46:01.875Z, 2019-02-01T22:46:01.123456Z: the fraction
// is written only when non-zero, with 3 digits when it is whole milliseconds, else 6.
std::string format_timestamp(int64_t us);

// The compact UTC form of Observation identifiers: yyyyMMddHHmmss followed by 'Z'.
std::string format_identifier_time(int64_t us);

}  // namespace healthd::medtech
