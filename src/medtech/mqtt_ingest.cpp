#include "medtech/mqtt_ingest.h"

#include <spdlog/spdlog.h>

#include "medtech/message_split.h"

namespace healthd::medtech {

namespace {

std::string default_client_id(const std::string& label) {
  std::string id = "healthd-" + label;
  for (char& c : id)
    if (c == '/') c = '-';
  return id;
}

metrics::Labels labels(const std::string& label) { return {{"connector", label}}; }

}  // namespace

MqttIngest::MqttIngest(const std::string& label, const MqttSettings& settings, Queue queue)
    : label_(label),
      settings_(settings),
      queue_(std::move(queue)),
      received_(metrics::counter("healthd_medtech_mqtt_messages_received_total",
                                 "MQTT messages read from the broker (before splitting)", labels(label))),
      connections_(metrics::counter("healthd_medtech_mqtt_connections_total",
                                    "MQTT connections established (first and reconnections)", labels(label))) {
  MqttSubscriber::Handlers handlers;
  handlers.deliver = [this](const std::vector<std::string>& payloads) { deliver(payloads); };
  handlers.room = [this] { return room(); };
  handlers.connected = [this] { connections_.inc(); };
  subscriber_ = std::make_unique<MqttSubscriber>(
      label_, settings_, settings_.client_id.empty() ? default_client_id(label_) : settings_.client_id,
      std::move(handlers));
  MqttSubscriber* s = subscriber_.get();
  metrics::gauge("healthd_medtech_mqtt_connected", "1 while the MQTT ingest is connected and subscribed",
                 labels(label_), [s] { return s->connected() ? 1.0 : 0.0; });
  metrics::gauge("healthd_medtech_mqtt_paused", "1 while MQTT consumption is paused because the queue is full",
                 labels(label_), [s] { return s->pausing() ? 1.0 : 0.0; });
  subscriber_->start();
}

MqttIngest::~MqttIngest() {
  metrics::remove_gauge("healthd_medtech_mqtt_connected", labels(label_));
  metrics::remove_gauge("healthd_medtech_mqtt_paused", labels(label_));
  subscriber_->stop();
}

void MqttIngest::deliver(const std::vector<std::string>& payloads) {
  std::vector<std::string> messages;
  for (const auto& p : payloads) {
    std::string why;
    std::vector<std::string> split;
    if (split_messages(p, split, why)) {
      for (auto& m : split) messages.push_back(std::move(m));
    } else {
      messages.push_back(p);  // the worker puts it in the dead letters with the reason
    }
  }
  queue_.push(messages);
  received_.inc(double(payloads.size()));
}

size_t MqttIngest::room() {
  const size_t depth = queue_.depth(), limit = queue_.limit();
  if (!paused_ && depth >= limit) {
    paused_ = true;
    spdlog::warn("medtech {}: queue full ({} waiting, limit {}): MQTT consumption paused", label_, depth, limit);
  } else if (paused_ && depth <= limit / 2) {
    paused_ = false;
    spdlog::info("medtech {}: queue down to {}: MQTT consumption resumed", label_, depth);
  }
  return paused_ ? 0 : limit - depth;
}

}  // namespace healthd::medtech
