#include "medtech/connector.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>

#include "common/time.h"
#include "medtech/batch_processor.h"

namespace healthd::medtech {

namespace {

// Messages per batch: the Observations of a batch are read with one search and written with one
// transaction, so a larger batch means fewer, larger FHIR commits (and fewer rewrites of an
// hourly SampledData Observation). A worker that keeps up takes whatever is queued, so batches
// stay small (and latency low) at moderate rates.
constexpr size_t kBatch = 1024;
constexpr auto kIdleWait = std::chrono::milliseconds(500);
constexpr auto kMinBackoff = std::chrono::milliseconds(100);
constexpr auto kMaxBackoff = std::chrono::milliseconds(5000);

}  // namespace

MedtechConnector::MedtechConnector(std::string label, const ConnectorSettings& settings,
                                   std::unique_ptr<MessageQueue> queue, FhirCall call)
    : label_(std::move(label)),
      queue_(std::move(queue)),
      call_(std::move(call)),
      metrics_(label_),
      loaded_(load_settings(settings, 0)) {}

MedtechConnector::~MedtechConnector() { close(); }

void MedtechConnector::start() {
  if (!worker_.joinable()) worker_ = std::thread([this] { run(); });
  apply_mqtt(loaded()->settings.mqtt);
}

void MedtechConnector::close() {
  std::call_once(closed_, [this] {
    {
      std::lock_guard lock(mqtt_mu_);
      closing_ = true;
      mqtt_.reset();  // acknowledges what it queued, then disconnects
    }
    stop_ = true;
    wake();
    if (worker_.joinable()) worker_.join();
    queue_->close();
  });
}

void MedtechConnector::update_settings(const ConnectorSettings& settings) {
  {
    std::lock_guard lock(settings_mu_);
    loaded_ = load_settings(settings, ++version_);
  }
  wake();
  if (worker_.joinable()) apply_mqtt(settings.mqtt);
}

void MedtechConnector::apply_mqtt(const MqttSettings& settings) {
  std::lock_guard lock(mqtt_mu_);
  if (closing_) return;
  if (mqtt_ && mqtt_->settings() == settings) return;
  mqtt_.reset();
  if (!settings.enabled()) return;
  MqttIngest::Queue queue;
  queue.push = [this](const std::vector<std::string>& messages) { enqueue(messages); };
  queue.depth = [this] { return queue_->size(); };
  queue.limit = [this] { return loaded()->settings.queue_limit; };
  mqtt_ = std::make_unique<MqttIngest>(label_, settings, std::move(queue));
}

void MedtechConnector::enqueue(const std::vector<std::string>& messages) {
  queue_->push(messages, now_us());
  metrics_.incoming.inc(double(messages.size()));
  wake();
}

ConnectorSettings MedtechConnector::settings() const { return loaded()->settings; }

std::shared_ptr<const LoadedSettings> MedtechConnector::loaded() const {
  std::lock_guard lock(settings_mu_);
  return loaded_;
}

void MedtechConnector::wake() {
  {
    std::lock_guard lock(wake_mu_);
    pending_ = true;
  }
  wake_cv_.notify_one();
}

void MedtechConnector::run() {
  std::unique_ptr<BatchProcessor> processor;
  auto backoff = kMinBackoff;
  auto wait = [this](std::chrono::milliseconds d) {
    std::unique_lock lock(wake_mu_);
    wake_cv_.wait_for(lock, d, [this] { return pending_ || stop_.load(); });
    pending_ = false;
  };
  while (!stop_) {
    try {
      auto settings = loaded();
      if (!processor || processor->version() != settings->version)
        processor = std::make_unique<BatchProcessor>(settings, call_, metrics_);
      auto batch = queue_->peek(kBatch);
      if (batch.empty()) {
        wait(kIdleWait);
        continue;
      }
      auto dead = processor->process(batch);
      queue_->ack(batch.back().seq, dead);
      backoff = kMinBackoff;
    } catch (const TransientError& e) {
      metrics_.error("Transient");
      spdlog::warn("medtech {}: {} (retrying in {} ms)", label_, e.what(), backoff.count());
      wait(backoff);
      backoff = std::min(backoff * 2, kMaxBackoff);
    } catch (const std::exception& e) {
      metrics_.error("Internal");
      spdlog::error("medtech {}: {} (retrying in {} ms)", label_, e.what(), backoff.count());
      wait(backoff);
      backoff = std::min(backoff * 2, kMaxBackoff);
    }
  }
}

}  // namespace healthd::medtech
