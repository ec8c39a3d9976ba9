// JSONPath: the Newtonsoft behaviours MedTech mappings rely on, errors, and hostile input.
#include <gtest/gtest.h>

#include "json/json.h"
#include "medtech/json_path.h"

namespace mt = healthd::medtech;

namespace {

rapidjson::Document doc(const char* text) {
  rapidjson::Document d;
  EXPECT_TRUE(healthd::json::parse(text, d)) << text;
  return d;
}

// Selected nodes as compact JSON, joined by " ".
std::string run(const char* path, const rapidjson::Value& root) {
  mt::ExpressionError err;
  auto p = mt::JsonPath::parse(path, &err);
  EXPECT_TRUE(p.has_value()) << path << ": " << err.message;
  if (!p) return "<parse error>";
  std::string out;
  for (const auto* v : p->select(root)) out += (out.empty() ? "" : " ") + healthd::json::to_string(*v);
  return out;
}

}  // namespace

TEST(JsonPath, DescendantFilterMatchesTheMessageItself) {
  // Newtonsoft's `..[?()]` tests the start node too: a plain message matches itself.
  auto d = doc(R"({"heartRate": "78", "endDate": "2019-02-01T22:46:01Z", "deviceId": "d1"})");
  EXPECT_EQ(run("$..[?(@heartRate)]", d), healthd::json::to_string(d));
  EXPECT_EQ(run("$..[?(@heartRate && @endDate)]", d), healthd::json::to_string(d));
  EXPECT_EQ(run("$..[?(@steps)]", d), "");
}

TEST(JsonPath, DescendantFilterFindsNestedMeasurements) {
  auto d = doc(R"({"Body": [{"height": "78", "unit": "inches"}, {"height": "1.9", "unit": "meters"}],
                   "Properties": {}, "SystemProperties": {}})");
  EXPECT_EQ(run("$..[?(@unit == 'inches')]", d), R"({"height":"78","unit":"inches"})");
  EXPECT_EQ(run("$..[?(@unit == 'meters')].height", d), R"("1.9")");
  auto e = doc(R"({"Body": {"telemetry": {"HeartRate": 70, "BloodPressure": {"Systolic": 120, "Diastolic": 80}}}})");
  EXPECT_EQ(run("$..[?(@telemetry.BloodPressure.Systolic && @telemetry.BloodPressure.Diastolic)].telemetry.HeartRate", e),
            "70");
  EXPECT_EQ(run("$..[?(@Body.telemetry)].Body.telemetry.HeartRate", e), "70");
}

TEST(JsonPath, NewtonsoftShorthandAndHyphenatedNames) {
  auto d = doc(R"({"SystemProperties": {"iothub-connection-device-id": "dev-1"},
                   "Properties": {"iothub-creation-time-utc": "2021-01-01T00:00:00Z"},
                   "Body": {"telemetry": [{"type": "x", "v": 1}, {"type": "y", "v": 2}]}})");
  EXPECT_EQ(run("$.SystemProperties.iothub-connection-device-id", d), R"("dev-1")");
  EXPECT_EQ(run("$.Properties.iothub-creation-time-utc", d), R"("2021-01-01T00:00:00Z")");
  EXPECT_EQ(run("$.Body.telemetry[?(@.type == 'x')].v", d), "1");
  EXPECT_EQ(run("$.Body.telemetry[?(@type == \"y\")].v", d), "2");
  EXPECT_EQ(run("$.Body.telemetry[?(@.v > 1 || @.type == 'x')].v", d), "1 2");
}

TEST(JsonPath, MatchedTokenAndSingularPaths) {
  auto d = doc(R"({"Body": {"a": 1}, "matchedToken": {"deviceId": "d", "values": [10, 20, 30]}})");
  mt::ExpressionError err;
  auto p = mt::JsonPath::parse("$.matchedToken.deviceId", &err);
  ASSERT_TRUE(p);
  EXPECT_TRUE(p->singular());
  // No copies: the node is the document's own value.
  EXPECT_EQ(p->select_first(d), &d["matchedToken"]["deviceId"]);
  EXPECT_EQ(run("$.matchedToken.values[-1]", d), "30");
  EXPECT_EQ(run("$.matchedToken.values[0:2]", d), "10 20");
  EXPECT_EQ(run("$.matchedToken.missing", d), "");
  EXPECT_FALSE(mt::JsonPath::parse("$..values")->singular());
}

TEST(JsonPath, ParseErrorsSayWhere) {
  mt::ExpressionError err;
  EXPECT_FALSE(mt::JsonPath::parse("$.a[?(@.b == )]", &err));
  EXPECT_EQ(err.column, 14u) << err.message;
  EXPECT_NE(err.message.find("column 14"), std::string::npos) << err.message;
  EXPECT_FALSE(mt::JsonPath::parse("a.b", &err));
  EXPECT_EQ(err.column, 1u);
  EXPECT_FALSE(mt::JsonPath::parse("$.été[", &err));
  EXPECT_EQ(err.column, 7u) << "columns count characters, not bytes: " << err.message;
  EXPECT_FALSE(mt::JsonPath::parse("$[?@.*.a == 1]", &err));  // non-singular query in a comparison
  EXPECT_FALSE(mt::JsonPath::parse("$[?length(@.a)]", &err));  // ValueType function used as a test
  EXPECT_FALSE(mt::JsonPath::parse("$[?unknown(@)]", &err));
}

TEST(JsonPath, HostileInputDoesNotExhaustTheStack) {
  std::string nested = "$";
  for (int i = 0; i < 20000; ++i) nested += "[?@";
  mt::ExpressionError err;
  EXPECT_FALSE(mt::JsonPath::parse(nested, &err));
  EXPECT_NE(err.message.find("nested too deeply"), std::string::npos) << err.message;

  std::string parens = "$[?";
  for (int i = 0; i < 20000; ++i) parens += "(";
  EXPECT_FALSE(mt::JsonPath::parse(parens, &err));

  // A deep document: the descendant walk uses its own stack.
  std::string deep;
  for (int i = 0; i < 5000; ++i) deep += "{\"a\":";
  deep += "1";
  for (int i = 0; i < 5000; ++i) deep += "}";
  rapidjson::Document d;
  d.Parse<rapidjson::kParseIterativeFlag>(deep.c_str());
  ASSERT_FALSE(d.HasParseError());
  auto p = mt::JsonPath::parse("$..a");
  ASSERT_TRUE(p);
  EXPECT_EQ(p->select(d).size(), 5000u);
}

TEST(JsonPath, RegexFunctions) {
  auto d = doc(R"(["ab", "abc", "xab", "a\nb"])");
  EXPECT_EQ(run("$[?match(@, 'ab.*')]", d), R"("ab" "abc")");
  EXPECT_EQ(run("$[?search(@, 'b')]", d), R"("ab" "abc" "xab" "a\nb")");
  EXPECT_EQ(run("$[?match(@, 'a.b')]", d), "");  // '.' does not match a newline
  EXPECT_EQ(run("$[?match(@, '(a|x)+b?c?')]", d), R"("ab" "abc" "xab")");
  EXPECT_EQ(run("$[?match(@, '[')]", d), "");  // an invalid pattern matches nothing
  // Linear-time matching: a classic catastrophic-backtracking pattern returns at once.
  std::string long_a(5000, 'a');
  auto big = doc(("[\"" + long_a + "!\"]").c_str());
  EXPECT_EQ(run("$[?match(@, '(a*)*b')]", big), "");
}
