// Every search parameter of every Synthea resource: extraction runs without error.
#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>

#include "fhir/definitions.h"
#include "json/json.h"
#include "search/index_values.h"
#include "search/search_parameters.h"

namespace search = healthd::search;

namespace {

std::string read(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

TEST(SearchSynthea, EveryParameterOfEveryResourceExtracts) {
  auto defs = healthd::fhir::Definitions::load(HEALTHD_DEFINITIONS_DIR);
  auto reg = search::SearchParameterRegistry::load(HEALTHD_DEFINITIONS_DIR);
  const std::filesystem::path dir = HEALTHD_SOURCE_DIR "/../shared/testdata/synthea/bundles";
  ASSERT_TRUE(std::filesystem::is_directory(dir)) << dir;

  std::vector<std::filesystem::path> files;
  for (const auto& e : std::filesystem::directory_iterator(dir))
    if (e.path().extension() == ".json") files.push_back(e.path());
  std::sort(files.begin(), files.end());
  ASSERT_FALSE(files.empty());

  size_t resources = 0, evaluations = 0, values = 0, errors = 0, with_values = 0;
  std::map<std::string, size_t> per_type;
  std::map<std::string, std::string> error_samples;  // type.code -> first error
  double seconds = 0;
  for (const auto& f : files) {
    rapidjson::Document bundle;
    std::string err;
    ASSERT_TRUE(healthd::json::parse(read(f), bundle, &err)) << f << ": " << err;
    const auto& entries = bundle["entry"];
    for (const auto& e : entries.GetArray()) {
      const rapidjson::Value& res = e["resource"];
      std::string type = res["resourceType"].GetString();
      auto params = reg->for_type(type);
      healthd::fhirpath::EvalContext ctx;
      ctx.definitions = defs.get();
      ctx.now = "2024-05-01T10:00:00Z";
      auto t0 = std::chrono::steady_clock::now();
      for (const search::SearchParam* p : params) {
        search::IndexValues v = search::extract(*p, res, ctx);
        ++evaluations;
        if (!v.ok()) {
          ++errors;
          error_samples.emplace(type + "." + p->code, v.error);
        }
        values += v.count();
        if (!v.empty()) ++with_values;
      }
      seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      ++resources;
      ++per_type[type];
    }
  }
  std::cout << "synthea: " << files.size() << " bundles, " << resources << " resources, " << evaluations
            << " parameter extractions (" << with_values << " with values), " << values << " values, " << errors
            << " errors\n";
  std::cout << "synthea: extraction " << (seconds * 1e6 / static_cast<double>(resources)) << " us per resource ("
            << (seconds * 1e6 / static_cast<double>(evaluations)) << " us per parameter)\n";
  for (const auto& [t, n] : per_type) std::cout << "  " << t << ": " << n << "\n";
  for (const auto& [k, e] : error_samples) std::cout << "  ERROR " << k << ": " << e << "\n";
  EXPECT_GT(resources, 2000u);
  EXPECT_EQ(errors, 0u);
}
