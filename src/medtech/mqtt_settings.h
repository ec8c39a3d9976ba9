// Where a MedTech service reads device messages from an MQTT broker (in addition to HTTP ingest).
// The cloud service reads an Event Hub (properties.ingestionEndpointConfiguration); healthd reads
// MQTT topics, declared in the same place:
//   "ingestionEndpointConfiguration": {"mqtt": {"host", "port", "topics", "qos", "clientId",
//                                                "username", "password", "keepAliveSeconds"}}
#pragma once

#include <optional>
#include <string>
#include <vector>

namespace healthd::medtech {

struct MqttSettings {
  std::string host;                 // broker host name or address; empty: no MQTT ingest
  int port = 1883;
  std::vector<std::string> topics;  // topic filters ('+' and '#' wildcards)
  int qos = 1;                      // 1: at-least-once (acknowledged once queued); 0: at-most-once
  std::string client_id;            // empty: "healthd-<workspace>-<connector>"
  std::string username;             // empty: anonymous
  std::string password;             // write-only in the management API
  int keep_alive_s = 60;
  bool enabled() const { return !host.empty(); }
  bool operator==(const MqttSettings&) const = default;
};

// A problem with one field, named as in the management API ("topics[1]", "qos", "clientId", ...).
struct MqttSettingsProblem {
  std::string field;
  std::string reason;
};

// nullopt when the settings of an enabled MQTT ingest are usable.
std::optional<MqttSettingsProblem> mqtt_settings_problem(const MqttSettings& s);

// True for a valid MQTT subscription topic filter (checked by libmosquitto, see mqtt_subscriber.cpp).
bool valid_topic_filter(const std::string& filter);

}  // namespace healthd::medtech
