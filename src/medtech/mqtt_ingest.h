// MqttIngest: feeds a MedTech service's queue from its MQTT topics. Every MQTT message payload
// is split like the body of POST .../messages (one JSON message, an array, NDJSON, envelope
// kept) and queued; a payload that is not JSON is queued as it is and ends in the dead letters
// (stage ingest, InvalidFormat) — nothing is dropped. Consumption pauses while the queue holds
// `limit()` messages or more and resumes once it is down to half of that.
// Metrics, labelled connector="<ws>/<name>":
//   healthd_medtech_mqtt_connected (gauge 0/1), healthd_medtech_mqtt_paused (gauge 0/1),
//   healthd_medtech_mqtt_messages_received_total, healthd_medtech_mqtt_connections_total.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "common/metrics.h"
#include "medtech/mqtt_subscriber.h"

namespace healthd::medtech {

class MqttIngest {
 public:
  struct Queue {
    // Queues device messages; returns once they are durable, throws when they could not be.
    std::function<void(const std::vector<std::string>& messages)> push;
    std::function<size_t()> depth;
    std::function<size_t()> limit;
  };

  // `label`: "<ws>/<name>"; the client id defaults to "healthd-<ws>-<name>".
  MqttIngest(const std::string& label, const MqttSettings& settings, Queue queue);
  ~MqttIngest();  // stops
  MqttIngest(const MqttIngest&) = delete;
  MqttIngest& operator=(const MqttIngest&) = delete;

  const MqttSettings& settings() const { return settings_; }

 private:
  void deliver(const std::vector<std::string>& payloads);
  size_t room();

  std::string label_;
  MqttSettings settings_;
  Queue queue_;
  metrics::Counter& received_;
  metrics::Counter& connections_;
  bool paused_ = false;  // only touched by the subscriber's thread
  std::unique_ptr<MqttSubscriber> subscriber_;
};

}  // namespace healthd::medtech
