// Data-driven pipeline cases: tests/unit/medtech/expected/cases/*.json, one file per case with
// the mappings, the message and the expected measurements, Observations and errors (see
// expected/README.md for the format and where each expectation comes from).
#include <gtest/gtest.h>

#include "medtech/debug.h"
#include "medtech/json_compare.h"
#include "medtech/timestamp.h"
#include "suite_util.h"

namespace mt = healthd::medtech;
using namespace medtech_test;

namespace {

fs::path cases_dir() { return fs::path(HEALTHD_SOURCE_DIR) / "tests/unit/medtech/expected/cases"; }

// A mapping or message: {"file": "<path under ../shared/testdata/medtech>"}, a collection of
// single-template files {"collection": "CollectionContent", "files": [...]}, or inline JSON.
std::string text_of(const rapidjson::Value& v) {
  if (v.IsObject() && v.HasMember("file") && v["file"].IsString() && v.MemberCount() == 1)
    return read_file(testdata(std::string("medtech/") + v["file"].GetString()));
  if (v.IsObject() && v.HasMember("collection") && v.HasMember("files") && v.MemberCount() == 2) {
    std::string out = std::string("{\"templateType\": \"") + v["collection"].GetString() + "\", \"template\": [";
    for (rapidjson::SizeType i = 0; i < v["files"].Size(); ++i)
      out += (i ? ",\n" : "\n") + read_file(testdata(std::string("medtech/") + v["files"][i].GetString()));
    return out + "]}";
  }
  return healthd::json::to_string(v);
}

// Expands {"$samples": {"count": N, "at": {"<slot>": "<value>"}}} into a SampledData data string.
void expand(rapidjson::Value& v, rapidjson::Document::AllocatorType& a) {
  if (v.IsObject() && v.HasMember("$samples")) {
    const auto& s = v["$samples"];
    std::vector<std::string> slots(s["count"].GetUint(), "E");
    for (const auto& m : s["at"].GetObject()) slots.at(std::stoul(m.name.GetString())) = m.value.GetString();
    std::string data;
    for (size_t i = 0; i < slots.size(); ++i) data += (i ? " " : "") + slots[i];
    v.SetString(data.c_str(), static_cast<rapidjson::SizeType>(data.size()), a);
    return;
  }
  if (v.IsObject())
    for (auto& m : v.GetObject()) expand(m.value, a);
  else if (v.IsArray())
    for (auto& e : v.GetArray()) expand(e, a);
}

// Expected errors: each must match one actual error on every member it names.
bool error_matches(const rapidjson::Value& expected, const rapidjson::Value& actual) {
  for (const auto& m : expected.GetObject()) {
    if (!actual.HasMember(m.name)) return false;
    const auto& got = actual[m.name];
    if (std::string(m.name.GetString()) == "message") {
      if (!got.IsString() || std::string(got.GetString()).find(m.value.GetString()) == std::string::npos) return false;
    } else if (!mt::json_equal(m.value, got)) {
      return false;
    }
  }
  return true;
}

void run_case(const fs::path& file) {
  SCOPED_TRACE(file.filename().string());
  rapidjson::Document c;
  std::string text = read_file(file);
  c.Parse<rapidjson::kParseFullPrecisionFlag>(text.c_str(), text.size());
  ASSERT_FALSE(c.HasParseError()) << "not JSON at offset " << c.GetErrorOffset();
  std::string device = text_of(c["deviceMapping"]);
  std::string fhir = c.HasMember("fhirMapping") ? text_of(c["fhirMapping"]) : "";
  std::string message = text_of(c["message"]);
  mt::DebugRequest req;
  req.device_mapping = device;
  req.fhir_mapping = fhir;
  req.message = message;
  req.envelope = !c.HasMember("envelope") || c["envelope"].GetBool();
  if (c.HasMember("resolve")) {
    // The resource ids identity resolution would give, the same for every measurement group.
    mt::ResolvedIds ids{c["resolve"]["patient"].GetString(), c["resolve"]["device"].GetString(), std::nullopt};
    if (c["resolve"].HasMember("encounter")) ids.encounter = c["resolve"]["encounter"].GetString();
    req.resolve = [ids](const mt::MeasurementGroup&, std::string*) { return std::optional<mt::ResolvedIds>(ids); };
  }
  req.now_us = *mt::parse_timestamp(c.HasMember("now") ? c["now"].GetString() : "2024-01-01T00:00:00Z");
  rapidjson::Document got = mt::debug(req);
  rapidjson::Document expected;
  expected.CopyFrom(c["expected"], expected.GetAllocator());
  expand(expected, expected.GetAllocator());
  for (const char* part : {"measurements", "observations"}) {
    if (!expected.HasMember(part)) continue;
    EXPECT_TRUE(mt::json_equal(expected[part], got[part]))
        << part << " differ\nexpected: " << healthd::json::to_string(expected[part], true)
        << "\nactual: " << healthd::json::to_string(got[part], true);
  }
  const auto& errors = got["errors"];
  if (expected.HasMember("errors")) {
    const auto& want = expected["errors"];
    EXPECT_EQ(want.Size(), errors.Size()) << "errors: " << healthd::json::to_string(errors, true);
    for (const auto& w : want.GetArray()) {
      bool found = false;
      for (const auto& e : errors.GetArray()) found = found || error_matches(w, e);
      EXPECT_TRUE(found) << "expected error " << healthd::json::to_string(w) << " not among "
                         << healthd::json::to_string(errors, true);
    }
  } else {
    EXPECT_EQ(errors.Size(), 0u) << healthd::json::to_string(errors, true);
  }
}

std::vector<fs::path> case_files() {
  std::vector<fs::path> out;
  for (const auto& e : fs::directory_iterator(cases_dir()))
    if (e.path().extension() == ".json") out.push_back(e.path());
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

class PipelineCase : public testing::TestWithParam<fs::path> {};

TEST_P(PipelineCase, ProducesExpected) { run_case(GetParam()); }

INSTANTIATE_TEST_SUITE_P(Expected, PipelineCase, testing::ValuesIn(case_files()),
                         [](const testing::TestParamInfo<fs::path>& info) {
                           std::string name = info.param.stem().string();
                           for (char& ch : name)
                             if (!isalnum(static_cast<unsigned char>(ch))) ch = '_';
                           return name;
                         });
