#include "common/metrics.h"

#include <cmath>
#include <sstream>

namespace healthd::metrics {

void Counter::inc(double v) {
  double cur = value_.load(std::memory_order_relaxed);
  while (!value_.compare_exchange_weak(cur, cur + v, std::memory_order_relaxed)) {
  }
}

Histogram::Histogram(std::vector<double> bounds)
    : bounds_(std::move(bounds)), buckets_(new std::atomic<uint64_t>[bounds_.size() + 1]) {
  for (size_t i = 0; i <= bounds_.size(); ++i) buckets_[i].store(0);
}

void Histogram::observe(double v) {
  size_t i = 0;
  while (i < bounds_.size() && v > bounds_[i]) ++i;
  buckets_[i].fetch_add(1, std::memory_order_relaxed);
  double cur = sum_.load(std::memory_order_relaxed);
  while (!sum_.compare_exchange_weak(cur, cur + v, std::memory_order_relaxed)) {
  }
  count_.fetch_add(1, std::memory_order_relaxed);
}

void Histogram::snapshot(std::vector<uint64_t>& cumulative, double& sum, uint64_t& count) const {
  cumulative.assign(bounds_.size() + 1, 0);
  uint64_t acc = 0;
  for (size_t i = 0; i <= bounds_.size(); ++i) {
    acc += buckets_[i].load(std::memory_order_relaxed);
    cumulative[i] = acc;
  }
  sum = sum_.load(std::memory_order_relaxed);
  count = acc;
}

const std::vector<double>& latency_buckets() {
  static const std::vector<double> b = {0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01,
                                        0.025,  0.05,    0.1,    0.25,  0.5,    1,     2.5,  5, 10};
  return b;
}

namespace {

struct Family {
  std::string type;  // counter, histogram, gauge
  std::string help;
  std::map<Labels, std::unique_ptr<Counter>> counters;
  std::map<Labels, std::unique_ptr<Histogram>> histograms;
  std::map<Labels, std::function<double()>> gauges;
};

struct Registry {
  std::mutex mu;
  std::map<std::string, Family> families;
};

Registry& registry() {
  static Registry* r = new Registry();  // never destroyed: metrics may be touched during shutdown
  return *r;
}

std::string escape_label(const std::string& v) {
  std::string out;
  for (char c : v) {
    if (c == '\\' || c == '"') out.push_back('\\');
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out.push_back(c);
  }
  return out;
}

std::string label_text(const Labels& labels, const std::string& extra_key = {}, const std::string& extra_val = {}) {
  if (labels.empty() && extra_key.empty()) return "";
  std::string s = "{";
  bool first = true;
  for (const auto& [k, v] : labels) {
    if (!first) s += ",";
    first = false;
    s += k + "=\"" + escape_label(v) + "\"";
  }
  if (!extra_key.empty()) {
    if (!first) s += ",";
    s += extra_key + "=\"" + extra_val + "\"";
  }
  return s + "}";
}

std::string number(double v) {
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  std::ostringstream o;
  o.precision(17);
  o << v;
  return o.str();
}

}  // namespace

Counter& counter(const std::string& name, const std::string& help, const Labels& labels) {
  auto& r = registry();
  std::lock_guard lock(r.mu);
  auto& f = r.families[name];
  f.type = "counter";
  f.help = help;
  auto& c = f.counters[labels];
  if (!c) c = std::make_unique<Counter>();
  return *c;
}

Histogram& histogram(const std::string& name, const std::string& help, const Labels& labels,
                     const std::vector<double>& bounds) {
  auto& r = registry();
  std::lock_guard lock(r.mu);
  auto& f = r.families[name];
  f.type = "histogram";
  f.help = help;
  auto& h = f.histograms[labels];
  if (!h) h = std::make_unique<Histogram>(bounds);
  return *h;
}

void gauge(const std::string& name, const std::string& help, const Labels& labels, std::function<double()> read) {
  auto& r = registry();
  std::lock_guard lock(r.mu);
  auto& f = r.families[name];
  f.type = "gauge";
  f.help = help;
  f.gauges[labels] = std::move(read);
}

void remove_gauge(const std::string& name, const Labels& labels) {
  auto& r = registry();
  std::lock_guard lock(r.mu);
  auto it = r.families.find(name);
  if (it != r.families.end()) it->second.gauges.erase(labels);
}

std::string render_prometheus() {
  auto& r = registry();
  std::lock_guard lock(r.mu);
  std::string out;
  for (const auto& [name, f] : r.families) {
    out += "# HELP " + name + " " + f.help + "\n# TYPE " + name + " " + f.type + "\n";
    for (const auto& [labels, c] : f.counters) out += name + label_text(labels) + " " + number(c->value()) + "\n";
    for (const auto& [labels, read] : f.gauges) out += name + label_text(labels) + " " + number(read()) + "\n";
    for (const auto& [labels, h] : f.histograms) {
      std::vector<uint64_t> cum;
      double sum;
      uint64_t count;
      h->snapshot(cum, sum, count);
      for (size_t i = 0; i < cum.size(); ++i) {
        std::string le = i < h->bounds().size() ? number(h->bounds()[i]) : "+Inf";
        out += name + "_bucket" + label_text(labels, "le", le) + " " + std::to_string(cum[i]) + "\n";
      }
      out += name + "_sum" + label_text(labels) + " " + number(sum) + "\n";
      out += name + "_count" + label_text(labels) + " " + std::to_string(count) + "\n";
    }
  }
  return out;
}

}  // namespace healthd::metrics
