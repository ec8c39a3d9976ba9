// MedtechConnector: one MedTech service (the cloud's IoT connector) at /{ws}/medtech/{name}.
// Transport-independent like FhirService: takes a Request whose `segments` are the path below
// the service base, returns a Response.
//   POST messages          one JSON message, a JSON array or NDJSON (event envelope optional)
//                          -> 202 once durably queued; 429 + Retry-After when the queue is full
//   GET  errors            the dead letters {"total", "value": [...]} (?_count, default 100)
//   POST errors/$replay    puts the dead letters back into the queue
//   POST $debug            {"message", "deviceMapping"?, "fhirMapping"?} -> measurements,
//                          observations and errors, writing nothing
// With MQTT settings, an MqttIngest feeds the same queue from the broker's topics.
// A worker thread drains the queue through BatchProcessor; the destination FHIR services are
// reached through a FhirCall (their own interactions).
#pragma once

#include <atomic>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "common/request.h"
#include "medtech/connector_metrics.h"
#include "medtech/connector_settings.h"
#include "medtech/fhir_client.h"
#include "medtech/loaded_settings.h"
#include "medtech/message_queue.h"
#include "medtech/mqtt_ingest.h"

namespace healthd::medtech {

class MedtechConnector {
 public:
  // `label`: "<ws>/<name>" (metrics, logs). Call start() to run the worker.
  MedtechConnector(std::string label, const ConnectorSettings& settings, std::unique_ptr<MessageQueue> queue,
                   FhirCall call);
  ~MedtechConnector();
  MedtechConnector(const MedtechConnector&) = delete;
  MedtechConnector& operator=(const MedtechConnector&) = delete;

  // Starts the worker and, with MQTT settings, the MQTT ingest.
  void start();
  // Stops the MQTT ingest and the worker (the batch in progress finishes), closes the queue. Idempotent.
  void close();

  // Replaces the settings; queued messages are processed with the new ones. Changed MQTT
  // settings reconnect the MQTT ingest.
  void update_settings(const ConnectorSettings& settings);
  ConnectorSettings settings() const;
  size_t queue_depth() const { return queue_->size(); }

  Response handle(Request& request);

 private:
  Response ingest(Request& req);
  // Durably queues device messages and wakes the worker (HTTP and MQTT ingest).
  void enqueue(const std::vector<std::string>& messages);
  // Starts, restarts or stops the MQTT ingest to match `settings`.
  void apply_mqtt(const MqttSettings& settings);
  Response errors(Request& req);
  Response replay(Request& req);
  Response debug(Request& req);
  void run();
  void wake();
  std::shared_ptr<const LoadedSettings> loaded() const;

  std::string label_;
  std::unique_ptr<MessageQueue> queue_;
  FhirCall call_;
  ConnectorMetrics metrics_;

  mutable std::mutex settings_mu_;
  std::shared_ptr<const LoadedSettings> loaded_;
  uint64_t version_ = 0;

  std::mutex wake_mu_;
  std::condition_variable wake_cv_;
  bool pending_ = false;
  std::atomic<bool> stop_{false};
  std::thread worker_;
  std::once_flag closed_;

  std::mutex mqtt_mu_;
  std::unique_ptr<MqttIngest> mqtt_;
  bool closing_ = false;  // under mqtt_mu_: no MQTT ingest starts once close() began
};

}  // namespace healthd::medtech
