// The MQTT ingest settings of a MedTech service: config file (settings.mqtt) and management API
// (properties.ingestionEndpointConfiguration.mqtt), validation and the write-only password.
#include <gtest/gtest.h>

#include "json/json.h"
#include "medtech/mqtt_settings.h"
#include "workspace/config.h"
#include "workspace/iot_settings_json.h"

namespace healthd::workspace {
namespace {

std::string config_with_mqtt(const std::string& mqtt) {
  return "workspaces: [{ name: abc, services: [{ kind: medtech, name: devices, settings: { mqtt: " + mqtt +
         " } }] }]";
}

std::string config_error(const std::string& yaml) {
  try {
    parse_config(yaml);
  } catch (const std::runtime_error& e) {
    return e.what();
  }
  return "";
}

// read_connector_properties on `json` text; `why` gets the error.
bool read_json(const std::string& text, medtech::ConnectorSettings& out, std::string& why) {
  json::Document d;
  EXPECT_TRUE(json::parse(text, d)) << text;
  return read_connector_properties(d, out, why);
}

std::string json_error(const std::string& mqtt) {
  medtech::ConnectorSettings s;
  std::string why;
  EXPECT_FALSE(read_json(R"({"ingestionEndpointConfiguration": {"mqtt": )" + mqtt + "}}", s, why)) << mqtt;
  return why;
}

TEST(MqttSettings, ConfigFileWithEveryKey) {
  PlatformConfig c = parse_config(R"(
workspaces:
  - name: abc
    services:
      - kind: medtech
        name: devices
        settings:
          mqtt:
            host: broker.local
            port: 8883
            topics: [devices/+/telemetry, 'ward/#']
            qos: 0
            client_id: healthd-ward
            username: ingest
            password: s3cret
            keep_alive_seconds: 30
)");
  const medtech::MqttSettings& m = c.workspaces[0].services[0].medtech.mqtt;
  EXPECT_TRUE(m.enabled());
  EXPECT_EQ(m.host, "broker.local");
  EXPECT_EQ(m.port, 8883);
  EXPECT_EQ(m.topics, (std::vector<std::string>{"devices/+/telemetry", "ward/#"}));
  EXPECT_EQ(m.qos, 0);
  EXPECT_EQ(m.client_id, "healthd-ward");
  EXPECT_EQ(m.username, "ingest");
  EXPECT_EQ(m.password, "s3cret");
  EXPECT_EQ(m.keep_alive_s, 30);
}

TEST(MqttSettings, ConfigFileDefaultsAndSingleTopic) {
  PlatformConfig c = parse_config(config_with_mqtt("{ host: 127.0.0.1, topics: devices/heart }"));
  const medtech::MqttSettings& m = c.workspaces[0].services[0].medtech.mqtt;
  EXPECT_EQ(m.port, 1883);
  EXPECT_EQ(m.qos, 1);
  EXPECT_EQ(m.topics, std::vector<std::string>{"devices/heart"});
  EXPECT_EQ(m.keep_alive_s, 60);
  EXPECT_TRUE(m.client_id.empty());
  // Without mqtt, no MQTT ingest.
  PlatformConfig none = parse_config("workspaces: [{ name: abc, services: [{ kind: medtech, name: devices }] }]");
  EXPECT_FALSE(none.workspaces[0].services[0].medtech.mqtt.enabled());
}

TEST(MqttSettings, ConfigFileErrorsNameTheKey) {
  auto expect = [](const std::string& mqtt, std::initializer_list<const char*> parts) {
    std::string e = config_error(config_with_mqtt(mqtt));
    EXPECT_FALSE(e.empty()) << mqtt;
    for (const char* p : parts) EXPECT_NE(e.find(p), std::string::npos) << e;
  };
  expect("{ topics: [a] }", {"settings.mqtt.host", "required"});
  expect("{ host: h }", {"settings.mqtt.topics", "at least one"});
  expect("{ host: h, topics: ['a/#/b'] }", {"settings.mqtt.topics[0]", "a/#/b"});
  expect("{ host: h, topics: [a], qos: 2 }", {"settings.mqtt.qos"});
  expect("{ host: h, topics: [a], port: 70000 }", {"settings.mqtt.port"});
  expect("{ host: h, topics: [a], port: many }", {"settings.mqtt.port", "integer"});
  expect("{ host: h, topics: [a], keep_alive_seconds: 1 }", {"settings.mqtt.keep_alive_seconds"});
  expect("{ host: h, topics: [a], password: p }", {"settings.mqtt.password", "username"});
  expect("{ host: h, topics: [a], colour: 1 }", {"settings.mqtt.colour", "unknown key"});
}

TEST(MqttSettings, ManagementJsonRoundTripWithoutPassword) {
  medtech::ConnectorSettings s;
  std::string why;
  ASSERT_TRUE(read_json(R"({"ingestionEndpointConfiguration": {"mqtt": {"host": "127.0.0.1", "port": 1884,
      "topics": ["devices/+/hr"], "qos": 1, "clientId": "c1", "username": "u", "password": "p",
      "keepAliveSeconds": 20}}})",
                        s, why))
      << why;
  EXPECT_EQ(s.mqtt.host, "127.0.0.1");
  EXPECT_EQ(s.mqtt.port, 1884);
  EXPECT_EQ(s.mqtt.client_id, "c1");
  EXPECT_EQ(s.mqtt.password, "p");
  EXPECT_EQ(s.mqtt.keep_alive_s, 20);

  // Answers leave the password out; management.json keeps it.
  json::Document answer(rapidjson::kObjectType);
  add_connector_members(s, answer, answer.GetAllocator());
  const json::Value& shown = answer["ingestionEndpointConfiguration"]["mqtt"];
  EXPECT_FALSE(shown.HasMember("password"));
  EXPECT_STREQ(shown["username"].GetString(), "u");
  json::Document saved(rapidjson::kObjectType);
  add_connector_members(s, saved, saved.GetAllocator(), /*with_secrets=*/true);
  medtech::ConnectorSettings back;
  ASSERT_TRUE(read_connector_properties(saved, back, why)) << why;
  EXPECT_EQ(back.mqtt, s.mqtt);

  // Without MQTT the member is absent.
  json::Document plain(rapidjson::kObjectType);
  add_connector_members(medtech::ConnectorSettings{}, plain, plain.GetAllocator());
  EXPECT_FALSE(plain.HasMember("ingestionEndpointConfiguration"));
}

TEST(MqttSettings, ManagementJsonErrorsNameTheMember) {
  const std::string p = "properties.ingestionEndpointConfiguration.mqtt.";
  EXPECT_EQ(json_error(R"({"topics": ["a"]})").rfind(p + "host:", 0), 0u);
  EXPECT_EQ(json_error(R"({"host": "h", "topics": "a"})").rfind(p + "topics:", 0), 0u);
  EXPECT_EQ(json_error(R"({"host": "h", "topics": ["a", "b/+x"]})").rfind(p + "topics[1]:", 0), 0u);
  EXPECT_EQ(json_error(R"({"host": "h", "topics": ["a"], "qos": 2})").rfind(p + "qos:", 0), 0u);
  EXPECT_EQ(json_error(R"({"host": "h", "topics": ["a"], "port": "1883"})").rfind(p + "port:", 0), 0u);
  EXPECT_EQ(json_error(R"({"host": "h", "topics": ["a"], "tls": true})").rfind(p + "tls:", 0), 0u);
  medtech::ConnectorSettings s;
  std::string why;
  EXPECT_FALSE(read_json(R"({"ingestionEndpointConfiguration": {"eventHubName": "x"}})", s, why));
  EXPECT_NE(why.find("Event Hubs are not supported"), std::string::npos) << why;
}

TEST(MqttSettings, TopicFilters) {
  for (const char* ok : {"a", "a/b", "+", "#", "a/+/c", "a/#", "+/+/#", "/leading"})
    EXPECT_TRUE(medtech::valid_topic_filter(ok)) << ok;
  for (const char* bad : {"", "a/#/b", "a/b#", "a+/b", "#/a"}) EXPECT_FALSE(medtech::valid_topic_filter(bad)) << bad;
}

}  // namespace
}  // namespace healthd::workspace
