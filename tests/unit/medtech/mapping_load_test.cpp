// Every file of ../shared/testdata/medtech loads as expected/mapping_validation.json says: the
// sample templates load without error, the connector's invalid inputs give the listed errors
// (JSON pointer, reason, line and column), and every file is covered.
#include <gtest/gtest.h>

#include <set>

#include "medtech/device_mapping.h"
#include "medtech/fhir_mapping.h"
#include "medtech/json_source.h"
#include "suite_util.h"

namespace mt = healthd::medtech;
using namespace medtech_test;

namespace {

struct Expectation {
  std::string file, as;
  const rapidjson::Value* errors;
};

rapidjson::Document& expectations() {
  static rapidjson::Document d = [] {
    rapidjson::Document doc;
    healthd::json::parse(read_file(fs::path(HEALTHD_SOURCE_DIR) / "tests/unit/medtech/expected/mapping_validation.json"), doc);
    return doc;
  }();
  return d;
}

// One template wrapped in its collection, on the template's first line so lines stay the same.
std::string wrap(const std::string& collection, const std::string& text) {
  return "{\"templateType\": \"" + collection + "\", \"template\": [" + text + "]}";
}

void check(const std::string& file, const std::string& as, const rapidjson::Value& want) {
  SCOPED_TRACE(file);
  std::string text = read_file(testdata("medtech/" + file));
  std::vector<mt::MappingError> errors;
  if (as == "device" || as == "device-template") {
    auto r = mt::DeviceMapping::parse(as == "device" ? text : wrap("CollectionContent", text));
    errors = r.errors;
    if (want.Empty()) {
      EXPECT_TRUE(r.ok());
    }
  } else if (as == "fhir" || as == "fhir-template") {
    auto r = mt::FhirMapping::parse(as == "fhir" ? text : wrap("CollectionFhir", text));
    errors = r.errors;
    if (want.Empty()) {
      EXPECT_TRUE(r.ok());
    }
  } else {
    mt::JsonSource src;
    mt::MappingError e;
    if (!src.parse(text, &e)) errors.push_back(e);
  }
  std::string all;
  for (const auto& e : errors) all += "\n  " + mt::to_string(e);
  EXPECT_EQ(errors.size(), want.Size()) << all;
  for (const auto& w : want.GetArray()) {
    bool found = false;
    for (const auto& e : errors) {
      bool match = e.path == w["path"].GetString() && e.message.find(w["message"].GetString()) != std::string::npos;
      if (match && w.HasMember("line")) match = e.line == w["line"].GetUint() && e.column == w["column"].GetUint();
      found = found || match;
    }
    EXPECT_TRUE(found) << "expected " << healthd::json::to_string(w) << " among" << all;
  }
}

}  // namespace

TEST(MappingLoad, EveryTestDataFileAsExpected) {
  const auto& files = expectations()["files"];
  std::set<std::string> listed;
  for (const auto& m : files.GetObject()) {
    listed.insert(m.name.GetString());
    check(m.name.GetString(), m.value["as"].GetString(), m.value["errors"]);
  }
  for (const char* dir : {"templates", "unittest-input"})
    for (const auto& e : fs::directory_iterator(testdata(std::string("medtech/") + dir)))
      EXPECT_TRUE(listed.count(std::string(dir) + "/" + e.path().filename().string())) << "not covered: " << e.path();
  std::cout << "medtech mapping files checked: " << listed.size() << "\n";
}

TEST(MappingLoad, SampleTemplatesContent) {
  auto basic = mt::DeviceMapping::parse(read_file(testdata("medtech/templates/basic_devicecontent.json")));
  ASSERT_TRUE(basic.ok());
  ASSERT_EQ(basic.mapping->templates().size(), 6u);
  const auto& bp = basic.mapping->templates()[2];
  EXPECT_EQ(bp.kind, mt::ContentKind::JsonPath);
  EXPECT_EQ(bp.type_name, "bloodpressure");
  ASSERT_EQ(bp.values.size(), 2u);
  EXPECT_TRUE(bp.values[0].required);
  EXPECT_TRUE(basic.mapping->templates_without_patient_id().empty());

  auto legacy = mt::DeviceMapping::parse(read_file(testdata("medtech/templates/sandbox_legacy_devicecontent.json")));
  ASSERT_TRUE(legacy.ok());
  const auto& iot = legacy.mapping->templates()[0];
  EXPECT_EQ(iot.kind, mt::ContentKind::IotJsonPath);
  ASSERT_EQ(iot.timestamp.size(), 2u);  // creation time, then the enqueued time
  EXPECT_EQ(iot.device_id[0].text(), "$.SystemProperties.iothub-connection-device-id");

  auto hk = mt::DeviceMapping::parse(read_file(testdata("medtech/templates/healthkitOnFhir_devicecontent.json")));
  ASSERT_TRUE(hk.ok());
  EXPECT_FALSE(hk.mapping->templates_without_patient_id().empty());

  auto fhir = mt::FhirMapping::parse(read_file(testdata("medtech/templates/healthkitOnFhir_fhirmapping.json")));
  ASSERT_TRUE(fhir.ok());
  const auto* mass = fhir.mapping->find("bodyMass");
  ASSERT_NE(mass, nullptr);
  EXPECT_EQ(mass->period, mt::PeriodInterval::Instant);  // no periodInterval
  ASSERT_TRUE(mass->value);
  EXPECT_EQ(mass->value->kind, mt::ValueKind::Quantity);
  EXPECT_FALSE(mass->sampled());
  const auto* hr = fhir.mapping->find("heartrate");
  ASSERT_NE(hr, nullptr);
  EXPECT_TRUE(hr->sampled());
}

TEST(MappingLoad, ExpressionErrorsAreLocated) {
  std::string text = R"({"templateType": "CollectionContent", "template": [
  {"templateType": "CalculatedContent", "template": {
    "typeName": "x", "typeMatchExpression": "$..[?(@x)]", "deviceIdExpression": {"value": "nope(", "language": "JmesPath"},
    "timestampExpression": "$.t", "defaultExpressionLanguage": "XPath"}}]})";
  auto r = mt::DeviceMapping::parse(text);
  ASSERT_EQ(r.errors.size(), 2u);
  std::string all = mt::to_string(r.errors[0]) + " | " + mt::to_string(r.errors[1]);
  EXPECT_NE(all.find("unknown expression language 'XPath'"), std::string::npos) << all;
  EXPECT_NE(all.find("line 3, column 91 (/template/0/template/deviceIdExpression/value): invalid JMESPath expression 'nope('"),
            std::string::npos)
      << all;
}
