// Runs the RFC 9535 JSONPath compliance suite (../shared/testdata/jsonpath/cts.json). Failures must be
// listed in jsonpath-known-failures.txt (by test name), and every listed test must still fail.
#include <iomanip>

#include "medtech/json_compare.h"
#include "medtech/json_path.h"
#include "suite_util.h"

namespace mt = healthd::medtech;
using namespace medtech_test;

namespace {

// Do the selected nodes equal `expected` (a JSON array of values), in order?
bool same_nodes(const std::vector<const rapidjson::Value*>& nodes, const rapidjson::Value& expected) {
  if (!expected.IsArray() || expected.Size() != nodes.size()) return false;
  for (rapidjson::SizeType i = 0; i < expected.Size(); ++i)
    if (!mt::json_equal(*nodes[i], expected[i])) return false;
  return true;
}

std::string show(const std::vector<const rapidjson::Value*>& nodes) {
  std::string s = "[";
  for (size_t i = 0; i < nodes.size(); ++i) s += (i ? "," : "") + healthd::json::to_string(*nodes[i]);
  return s + "]";
}

}  // namespace

TEST(JsonPathSuite, Rfc9535ComplianceSuite) {
  rapidjson::Document suite;
  ASSERT_TRUE(healthd::json::parse(read_file(testdata("jsonpath/cts.json")), suite)) << "cannot read cts.json";
  const auto& tests = suite["tests"];
  ASSERT_GT(tests.Size(), 600u);
  Tally tally("JSONPath RFC 9535 CTS", "jsonpath-known-failures.txt");
  for (const auto& t : tests.GetArray()) {
    std::string name = t["name"].GetString();
    std::string selector = t["selector"].GetString();
    bool invalid = t.HasMember("invalid_selector") && t["invalid_selector"].GetBool();
    mt::ExpressionError err;
    auto path = mt::JsonPath::parse(selector, &err);
    if (invalid) {
      tally.record(name, !path, "parsed, but the selector is invalid  [" + selector + "]");
      continue;
    }
    if (!path) {
      tally.record(name, false, "parse error: " + err.message + "  [" + selector + "]");
      continue;
    }
    auto nodes = path->select(t["document"]);
    bool pass = false;
    if (t.HasMember("result")) {
      pass = same_nodes(nodes, t["result"]);
    } else {
      for (const auto& alt : t["results"].GetArray()) pass = pass || same_nodes(nodes, alt);
    }
    tally.record(name, pass, "got " + show(nodes) + "  [" + selector + "]");
  }
  tally.report();
}
