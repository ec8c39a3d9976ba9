// Process-wide metrics registry rendered in the Prometheus text format at GET /metrics.
// Counters and histograms are created on first use by name + labels and live forever;
// hot paths should keep the returned reference instead of looking it up per event.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

namespace healthd::metrics {

using Labels = std::vector<std::pair<std::string, std::string>>;

class Counter {
 public:
  void inc(double v = 1.0);
  double value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<double> value_{0.0};
};

class Histogram {
 public:
  explicit Histogram(std::vector<double> bounds);
  void observe(double v);
  // Snapshot: cumulative bucket counts (one per bound, then +Inf), sum, count.
  void snapshot(std::vector<uint64_t>& cumulative, double& sum, uint64_t& count) const;
  const std::vector<double>& bounds() const { return bounds_; }

 private:
  std::vector<double> bounds_;
  std::unique_ptr<std::atomic<uint64_t>[]> buckets_;
  std::atomic<double> sum_{0.0};
  std::atomic<uint64_t> count_{0};
};

// Default latency buckets in seconds (100 µs .. 10 s).
const std::vector<double>& latency_buckets();

Counter& counter(const std::string& name, const std::string& help, const Labels& labels = {});
Histogram& histogram(const std::string& name, const std::string& help, const Labels& labels = {},
                     const std::vector<double>& bounds = latency_buckets());
// A gauge whose value is read when /metrics is rendered.
void gauge(const std::string& name, const std::string& help, const Labels& labels, std::function<double()> read);
void remove_gauge(const std::string& name, const Labels& labels);

std::string render_prometheus();

}  // namespace healthd::metrics
