// Runs the JMESPath compliance suite (../shared/testdata/jmespath/*.json, benchmarks.json included:
// its copy has results). A case is named "<file>:<group>:<case> <expression>". Failures must be listed
// in jmespath-known-failures.txt, and every listed case must still fail.
#include <algorithm>
#include <iomanip>

#include "medtech/jmespath.h"
#include "medtech/json_compare.h"
#include "suite_util.h"

namespace jp = healthd::medtech::jmespath;
using namespace medtech_test;

TEST(JmesPathSuite, ComplianceSuite) {
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(testdata("jmespath")))
    if (entry.path().extension() == ".json") files.push_back(entry.path());
  std::sort(files.begin(), files.end());
  ASSERT_GE(files.size(), 16u) << "cannot find the suite";
  Tally tally("JMESPath compliance suite", "jmespath-known-failures.txt");
  for (const auto& file : files) {
    rapidjson::Document doc;
    ASSERT_TRUE(healthd::json::parse(read_file(file), doc)) << file;
    for (rapidjson::SizeType g = 0; g < doc.Size(); ++g) {
      const auto& group = doc[g];
      const auto& cases = group["cases"];
      for (rapidjson::SizeType c = 0; c < cases.Size(); ++c) {
        const auto& tc = cases[c];
        std::string expr = tc["expression"].GetString();
        std::string name = file.filename().string() + ":" + std::to_string(g) + ":" + std::to_string(c) + " " + expr;
        std::string expected_error = tc.HasMember("error") ? tc["error"].GetString() : "";
        if (expected_error.empty() && !tc.HasMember("result")) continue;  // nothing to check
        jp::Error err;
        auto e = jp::Expression::parse(expr, &err);
        if (!e) {
          bool pass = !expected_error.empty() && expected_error == jp::to_string(err.kind);
          tally.record(name, pass, std::string("parse error (") + jp::to_string(err.kind) + "): " + err.message);
          continue;
        }
        jp::Result r = e->evaluate(group["given"]);
        if (!r.ok()) {
          bool pass = !expected_error.empty() && expected_error == jp::to_string(r.error().kind);
          tally.record(name, pass, std::string("evaluation error (") + jp::to_string(r.error().kind) +
                                       "): " + r.error().message);
          continue;
        }
        if (!expected_error.empty()) {
          tally.record(name, false, "expected error " + expected_error + ", got " + healthd::json::to_string(r.value()));
          continue;
        }
        bool pass = healthd::medtech::json_equal(r.value(), tc["result"]);
        tally.record(name, pass,
                     "got " + healthd::json::to_string(r.value()) + ", expected " + healthd::json::to_string(tc["result"]));
      }
    }
  }
  tally.report();
}
