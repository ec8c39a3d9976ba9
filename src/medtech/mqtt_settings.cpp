#include "medtech/mqtt_settings.h"

namespace healthd::medtech {

std::optional<MqttSettingsProblem> mqtt_settings_problem(const MqttSettings& s) {
  if (s.host.empty()) return MqttSettingsProblem{"host", "required (the broker's host name or address)"};
  if (s.port < 1 || s.port > 65535) return MqttSettingsProblem{"port", "must be between 1 and 65535"};
  if (s.topics.empty()) return MqttSettingsProblem{"topics", "at least one topic filter is required"};
  for (size_t i = 0; i < s.topics.size(); ++i)
    if (!valid_topic_filter(s.topics[i]))
      return MqttSettingsProblem{"topics[" + std::to_string(i) + "]",
                                 "'" + s.topics[i] + "' is not a valid MQTT topic filter"};
  if (s.qos != 0 && s.qos != 1)
    return MqttSettingsProblem{"qos", "must be 0 (at most once) or 1 (at least once)"};
  if (s.client_id.size() > 256) return MqttSettingsProblem{"clientId", "must be at most 256 characters"};
  if (!s.password.empty() && s.username.empty())
    return MqttSettingsProblem{"password", "needs a username (MQTT 3.1.1)"};
  if (s.keep_alive_s < 5 || s.keep_alive_s > 65535)
    return MqttSettingsProblem{"keepAliveSeconds", "must be between 5 and 65535"};
  return std::nullopt;
}

}  // namespace healthd::medtech
