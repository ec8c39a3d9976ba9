// MqttSubscriber: one connection to an MQTT broker, subscribed to a MedTech service's topics, run
// by its own thread. The only code that knows libmosquitto (mqtt_subscriber.cpp).
//
// Delivery: the messages read in one pass are handed to `deliver` together; their
// acknowledgements (QoS 1 PUBACK) leave for the broker only after `deliver` returned, so a message
// is acknowledged once it is durable. When `deliver` throws, the connection is dropped with the
// acknowledgements unsent and the broker redelivers (at-least-once; duplicates are possible).
// The session is persistent (clean session off, stable client id): QoS 1 messages published
// while healthd is away or paused are kept by the broker (within its own queue limits).
//
// Back-pressure: while `room()` answers 0 the subscriber stops reading the socket; the
// broker holds the messages (TCP flow control and its in-flight window). A pause longer than
// about 1.5 x keepAliveSeconds ends the connection; it is reopened when the pause ends.
//
// Reconnection: when the broker is unreachable or the connection drops, it reconnects with an
// exponential backoff (250 ms doubling to 10 s) and subscribes again.
#pragma once

#include <atomic>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "medtech/mqtt_settings.h"

namespace healthd::medtech {

class MqttSubscriber {
 public:
  struct Handlers {
    // Payloads of the messages read in one pass, in arrival order; must return once they are durable.
    std::function<void(const std::vector<std::string>& payloads)> deliver;
    // How many more messages may be read now (asked before every pass); 0 pauses consumption.
    std::function<size_t()> room;
    // Called on every successful connection (the first and each reconnection).
    std::function<void()> connected;
  };

  // `label` names the connection in logs; `client_id` is the resolved MQTT client id.
  MqttSubscriber(std::string label, MqttSettings settings, std::string client_id, Handlers handlers);
  ~MqttSubscriber();
  MqttSubscriber(const MqttSubscriber&) = delete;
  MqttSubscriber& operator=(const MqttSubscriber&) = delete;

  void start();
  // Acknowledges what was delivered, disconnects and joins the thread. Idempotent.
  void stop();

  bool connected() const { return connected_; }
  bool pausing() const { return pausing_; }

 private:
  struct Session;  // the libmosquitto handle and the messages of the current pass
  void run();
  // Sleeps up to `ms` unless stop() is called; false once stopping.
  bool sleep_ms(int ms);

  std::string label_;
  MqttSettings settings_;
  std::string client_id_;
  Handlers handlers_;

  std::atomic<bool> connected_{false};
  std::atomic<bool> pausing_{false};

  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace healthd::medtech
