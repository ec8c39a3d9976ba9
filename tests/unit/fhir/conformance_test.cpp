// Full validation ($validate): data-driven cases in validate_cases/*.json (resource, stored
// profiles, profile parameter, expected error and warning issues), the base invariants' count,
// and the Synthea sample data (no false positives against the base spec).
#include "fhir/conformance.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "fhir/value_set_catalog.h"
#include "json/json.h"

namespace healthd::fhir {
namespace {

namespace fs = std::filesystem;

std::shared_ptr<const Definitions> definitions() {
  static std::shared_ptr<const Definitions> d = Definitions::load(HEALTHD_DEFINITIONS_DIR);
  return d;
}

const Conformance& conformance() {
  static Conformance c(definitions(), ValueSetCatalog::open(definitions()->dir()));
  return c;
}

std::string read(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

fs::path cases_dir() { return fs::path(HEALTHD_SOURCE_DIR) / "tests/unit/fhir/validate_cases"; }

std::string describe(const std::vector<Issue>& issues) {
  std::string out;
  for (const auto& i : issues)
    out += "  " + i.severity + " [" + i.code + "] " + (i.expression.empty() ? "" : i.expression[0]) + ": " +
           i.diagnostics + "\n";
  return out;
}

TEST(Conformance, DataDrivenCases) {
  size_t cases = 0;
  for (const auto& f : fs::directory_iterator(cases_dir())) {
    if (f.path().extension() != ".json") continue;
    SCOPED_TRACE(f.path().filename().string());
    json::Document c;
    std::string why;
    ASSERT_TRUE(json::parse(read(f.path()), c, &why)) << why;
    // The case's StructureDefinitions, as if stored in the service.
    std::map<std::string, std::string> stored;
    if (auto files = json::get_member(c, "structureDefinitionFiles"))
      for (const auto& name : files->GetArray()) {
        std::string text = read(cases_dir() / name.GetString());
        json::Document sd;
        ASSERT_TRUE(json::parse(text, sd, &why)) << name.GetString() << ": " << why;
        stored[std::string(*json::get_string(sd, "url"))] = text;
      }
    ProfileCache profiles(definitions(), [&](const std::string& url) -> std::optional<std::string> {
      auto it = stored.find(url);
      if (it == stored.end()) return std::nullopt;
      return it->second;
    });
    ValidationOptions options;
    if (auto p = json::get_member(c, "profiles"))
      for (const auto& u : p->GetArray()) options.profiles.emplace_back(u.GetString());
    auto issues = conformance().validate(c["resource"], options, &profiles);

    std::vector<std::string> expected;
    for (const auto& i : c["issues"].GetArray()) {
      auto expr = json::get_string(i, "expression");
      expected.push_back(std::string(*json::get_string(i, "severity")) + "|" + std::string(*json::get_string(i, "code")) +
                         "|" + std::string(expr.value_or("")));
    }
    std::sort(expected.begin(), expected.end());
    std::vector<std::string> actual;
    for (const auto& i : issues) {
      if (i.severity != "error" && i.severity != "warning") continue;
      // A case that gives no expression for an issue does not check it (profile-level issues).
      std::string key = i.severity + "|" + i.code + "|";
      bool loose = std::find(expected.begin(), expected.end(), key) != expected.end();
      actual.push_back(loose || i.expression.empty() ? key : key + i.expression[0]);
    }
    std::sort(actual.begin(), actual.end());
    EXPECT_EQ(actual, expected) << describe(issues);
    ++cases;
  }
  EXPECT_GE(cases, 20u);
}

// How many of the base R4 invariants the engine compiles (the rest are on the skip list).
TEST(Conformance, BaseInvariantsCompile) {
  auto counts = conformance().invariants().counts();
  EXPECT_GT(counts.total, 200u);
  EXPECT_EQ(counts.compiled + counts.skipped, counts.total);
  EXPECT_GE(counts.compiled, counts.total - 5) << "skipped " << counts.skipped;
  std::printf("base invariants: %zu distinct, %zu compiled, %zu skipped\n", counts.total, counts.compiled, counts.skipped);
}

// Every resource of the Synthea sample (bundles and NDJSON) validates against the base spec with no
// error: invariants and bindings must not produce false positives. Their meta.profile (US Core) is
// not stored here, which is a warning, not an error.
TEST(Conformance, SyntheaHasNoErrors) {
  fs::path root = fs::path(HEALTHD_SOURCE_DIR) / "../shared/testdata/synthea";
  if (!fs::exists(root)) root = "/work/shared/testdata/synthea";
  if (!fs::exists(root)) GTEST_SKIP() << "no Synthea data";
  size_t resources = 0;
  std::map<std::string, size_t> errors_by_kind;
  auto check = [&](const json::Value& r, const std::string& where) {
    auto issues = conformance().validate(r, ValidationOptions{}, nullptr);
    bool bad = std::any_of(issues.begin(), issues.end(), [](const Issue& i) { return i.severity == "error"; });
    EXPECT_FALSE(bad) << where << " " << json::to_string(r).substr(0, 200) << "\n" << describe(issues);
    ++resources;
  };
  for (const auto& f : fs::directory_iterator(root / "bundles")) {
    json::Document doc;
    ASSERT_TRUE(json::parse(read(f.path()), doc));
    for (const auto& e : doc["entry"].GetArray()) check(e["resource"], f.path().filename().string());
  }
  for (const auto& f : fs::directory_iterator(root / "ndjson")) {
    if (f.path().filename() == "log.ndjson") continue;
    std::ifstream in(f.path());
    std::string line;
    while (std::getline(in, line)) {
      if (line.empty()) continue;
      json::Document doc;
      ASSERT_TRUE(json::parse(line, doc));
      check(doc, f.path().filename().string());
    }
  }
  EXPECT_GT(resources, 3000u);
}

}  // namespace
}  // namespace healthd::fhir
