// SampledData data strings: "v v E v" with one slot per period from the window start, "E" where
// no value fell into a slot.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "medtech/grouping.h"

namespace healthd::medtech {

// Slot i covers [start + i*period, start + (i+1)*period); slots run while their start is <= end.
// Of several values in one slot the latest (by time) is written. Values outside the window are
// ignored. values must be in time order. nullopt when the window needs more than
// kMaxSampledDataSlots slots.
inline constexpr size_t kMaxSampledDataSlots = 1'000'000;
std::optional<std::string> build_sampled_data(const std::vector<TimedValue>& values, int64_t start_us, int64_t end_us,
                                              double period_ms);

// The values of a data string written from start with period: slot i at start + i*period; "E",
// "L" and "U" slots are skipped.
std::vector<TimedValue> decode_sampled_data(std::string_view data, int64_t start_us, double period_ms);

// Both series in time order, merged; at the same time the value of newer wins.
std::vector<TimedValue> merge_samples(const std::vector<TimedValue>& older, const std::vector<TimedValue>& newer);

// A decimal as FHIR SampledData data allows: -?digits[.digits][e[+-]digits].
bool is_sample_value(std::string_view s);

}  // namespace healthd::medtech
