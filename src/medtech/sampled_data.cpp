#include "medtech/sampled_data.h"

#include <cmath>

namespace healthd::medtech {

namespace {

int64_t slot_start(int64_t start_us, double period_ms, size_t i) {
  return start_us + static_cast<int64_t>(std::llround(static_cast<double>(i) * period_ms * 1000.0));
}

}  // namespace

std::optional<std::string> build_sampled_data(const std::vector<TimedValue>& values, int64_t start_us, int64_t end_us,
                                              double period_ms) {
  if (!(period_ms > 0) || end_us < start_us) return std::nullopt;
  double slots = std::floor(static_cast<double>(end_us - start_us) / (period_ms * 1000.0)) + 1;
  if (slots > static_cast<double>(kMaxSampledDataSlots)) return std::nullopt;
  std::string out;
  size_t n = static_cast<size_t>(slots), v = 0;
  while (v < values.size() && values[v].time_us < start_us) ++v;
  for (size_t i = 0; i < n; ++i) {
    int64_t next = slot_start(start_us, period_ms, i + 1);
    const std::string* value = nullptr;
    while (v < values.size() && values[v].time_us < next) value = &values[v++].value;
    if (i > 0) out += ' ';
    if (value) out += *value;
    else out += 'E';
  }
  return out;
}

std::vector<TimedValue> decode_sampled_data(std::string_view data, int64_t start_us, double period_ms) {
  std::vector<TimedValue> out;
  size_t i = 0, pos = 0;
  while (pos <= data.size()) {
    size_t sp = data.find(' ', pos);
    if (sp == std::string_view::npos) sp = data.size();
    std::string_view token = data.substr(pos, sp - pos);
    if (!token.empty()) {
      if (token != "E" && token != "L" && token != "U") out.push_back(TimedValue{slot_start(start_us, period_ms, i), std::string(token)});
      ++i;
    }
    pos = sp + 1;
  }
  return out;
}

std::vector<TimedValue> merge_samples(const std::vector<TimedValue>& older, const std::vector<TimedValue>& newer) {
  std::vector<TimedValue> out;
  out.reserve(older.size() + newer.size());
  size_t a = 0, b = 0;
  while (a < older.size() || b < newer.size()) {
    if (b == newer.size() || (a < older.size() && older[a].time_us < newer[b].time_us)) {
      out.push_back(older[a++]);
    } else if (a == older.size() || newer[b].time_us < older[a].time_us) {
      out.push_back(newer[b++]);
    } else {
      out.push_back(newer[b++]);
      ++a;
    }
  }
  return out;
}

bool is_sample_value(std::string_view s) {
  size_t i = 0;
  if (i < s.size() && (s[i] == '-' || s[i] == '+')) ++i;
  size_t digits = 0;
  while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i, ++digits;
  if (i < s.size() && s[i] == '.') {
    ++i;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i, ++digits;
  }
  if (digits == 0) return false;
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '-' || s[i] == '+')) ++i;
    size_t exp = 0;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i, ++exp;
    if (exp == 0) return false;
  }
  return i == s.size();
}

}  // namespace healthd::medtech
