#include "medtech/grouping.h"

#include <algorithm>
#include <tuple>

namespace healthd::medtech {

namespace {

constexpr int64_t kHourUs = 3600LL * 1000000;
constexpr int64_t kDayUs = 24 * kHourUs;

int64_t floor_to(int64_t us, int64_t unit) {
  int64_t q = us / unit;
  if (us % unit != 0 && us < 0) --q;
  return q * unit;
}

// Adds a measurement's values; at an instant already present, the later call wins.
void add_values(ObservationGroup& g, const Measurement& m) {
  for (const auto& [name, value] : m.values) {
    auto& list = g.values[name];
    auto it = std::lower_bound(list.begin(), list.end(), m.occurrence_us,
                               [](const TimedValue& tv, int64_t t) { return tv.time_us < t; });
    if (it != list.end() && it->time_us == m.occurrence_us) it->value = value;
    else list.insert(it, TimedValue{m.occurrence_us, value});
  }
}

}  // namespace

std::vector<MeasurementGroup> group_measurements(const std::vector<Measurement>& measurements) {
  std::vector<MeasurementGroup> out;
  using Key = std::tuple<std::string, std::string, std::optional<std::string>, std::optional<std::string>,
                         std::optional<std::string>>;
  std::map<Key, size_t> index;
  for (const auto& m : measurements) {
    Key k{m.device_id, m.type, m.patient_id, m.encounter_id, m.correlation_id};
    auto [it, inserted] = index.emplace(std::move(k), out.size());
    if (inserted) out.push_back(MeasurementGroup{m.device_id, m.type, m.patient_id, m.encounter_id, m.correlation_id, {}});
    out[it->second].measurements.push_back(&m);
  }
  return out;
}

std::vector<ObservationGroup> observation_groups(const CodeValueTemplate& t, const MeasurementGroup& group,
                                                 std::vector<PipelineError>& errors) {
  std::map<int64_t, ObservationGroup> windows;  // by start
  PeriodInterval period = t.sampled() ? t.period : PeriodInterval::Instant;
  if (period == PeriodInterval::Correlation) {
    if (!group.correlation_id) {
      errors.push_back(PipelineError{"group", error_kind::kCorrelationIdMissing,
                                     "periodInterval -1 groups by correlation id, but the measurements of device '" +
                                         group.device_id + "' have none",
                                     t.type_name, -1, -1});
      return {};
    }
    ObservationGroup g;
    g.type = t.type_name;
    g.correlation_id = group.correlation_id;
    bool first = true;
    for (const Measurement* m : group.measurements) {
      g.start_us = first ? m->occurrence_us : std::min(g.start_us, m->occurrence_us);
      g.end_us = first ? m->occurrence_us : std::max(g.end_us, m->occurrence_us);
      first = false;
      add_values(g, *m);
    }
    if (first) return {};
    return {std::move(g)};
  }
  for (const Measurement* m : group.measurements) {
    int64_t start = m->occurrence_us, end = m->occurrence_us;
    if (period == PeriodInterval::Hour) {
      start = floor_to(start, kHourUs);
      end = start + kHourUs - 1;
    } else if (period == PeriodInterval::Day) {
      start = floor_to(start, kDayUs);
      end = start + kDayUs - 1;
    }
    auto [it, inserted] = windows.try_emplace(start);
    ObservationGroup& g = it->second;
    if (inserted) {
      g.type = t.type_name;
      g.start_us = start;
      g.end_us = end;
    }
    add_values(g, *m);
  }
  std::vector<ObservationGroup> out;
  out.reserve(windows.size());
  for (auto& [start, g] : windows) out.push_back(std::move(g));
  return out;
}

}  // namespace healthd::medtech
