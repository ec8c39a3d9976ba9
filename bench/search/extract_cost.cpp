// Cost of search-value extraction on the Synthea resources, and of the pieces this step added:
// custom-parameter snapshots, ICU string normalization and UCUM canonical units. Ratios within
// one run. Writes bench/results/search-extract.md.
//   ninja -C build bench_extract && build/bench_extract
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

#include "fhir/definitions.h"
#include "json/json.h"
#include "search/index_values.h"
#include "search/search_parameters.h"

namespace search = healthd::search;
namespace json = healthd::json;
using Clock = std::chrono::steady_clock;

namespace {

std::string read(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

struct Corpus {
  std::vector<std::unique_ptr<json::Document>> bundles;
  std::vector<const rapidjson::Value*> resources;
};

Corpus load(const std::filesystem::path& dir) {
  Corpus c;
  std::vector<std::filesystem::path> files;
  for (const auto& e : std::filesystem::directory_iterator(dir))
    if (e.path().extension() == ".json") files.push_back(e.path());
  std::sort(files.begin(), files.end());
  for (const auto& f : files) {
    auto doc = std::make_unique<json::Document>();
    if (!json::parse(read(f), *doc)) continue;
    for (const auto& e : (*doc)["entry"].GetArray()) c.resources.push_back(&e["resource"]);
    c.bundles.push_back(std::move(doc));
  }
  return c;
}

// Microseconds per resource to extract every parameter of its type, best of `rounds`.
double extraction_us(const search::SearchParameterRegistry& reg, const Corpus& c, const healthd::fhir::Definitions& defs,
                     int rounds, size_t* quantities = nullptr, std::vector<std::string>* strings = nullptr) {
  double best = 1e30;
  for (int r = 0; r < rounds; ++r) {
    auto t0 = Clock::now();
    for (const rapidjson::Value* res : c.resources) {
      healthd::fhirpath::EvalContext ctx;
      ctx.definitions = &defs;
      ctx.resource = res;
      for (const search::SearchParam* p : reg.for_type((*res)["resourceType"].GetString())) {
        search::IndexValues v = search::extract(*p, *res, ctx);
        if (r == 0 && quantities) *quantities += v.quantities.size();
        if (r == 0 && strings)
          for (const auto& s : v.strings) strings->push_back(s.original);
      }
    }
    best = std::min(best, seconds_since(t0) * 1e6 / static_cast<double>(c.resources.size()));
  }
  return best;
}

template <class F>
double ns_per_call(size_t n, F&& f) {
  auto t0 = Clock::now();
  for (size_t i = 0; i < n; ++i) f(i);
  return seconds_since(t0) * 1e9 / static_cast<double>(n);
}

}  // namespace

int main() {
  const std::string defs_dir = HEALTHD_DEFINITIONS_DIR;
  auto defs = healthd::fhir::Definitions::load(defs_dir);
  auto r4 = search::SearchParameterRegistry::load(defs_dir);
  Corpus corpus = load(HEALTHD_SOURCE_DIR "/../shared/testdata/synthea/bundles");
  if (corpus.resources.empty()) {
    std::cerr << "no Synthea bundles found\n";
    return 1;
  }

  // A snapshot with five custom parameters on the busiest types.
  const char* defs_json[] = {
      R"j({"url":"http://x/sp/a","code":"x-a","base":["Patient"],"type":"token","expression":"Patient.gender"})j",
      R"j({"url":"http://x/sp/b","code":"x-b","base":["Patient"],"type":"string","expression":"Patient.address.city"})j",
      R"j({"url":"http://x/sp/c","code":"x-c","base":["Observation"],"type":"token","expression":"Observation.category"})j",
      R"j({"url":"http://x/sp/d","code":"x-d","base":["Observation"],"type":"quantity","expression":"Observation.value.ofType(Quantity)"})j",
      R"j({"url":"http://x/sp/e","code":"x-e","base":["Encounter"],"type":"date","expression":"Encounter.period"})j",
  };
  std::vector<std::unique_ptr<search::SearchParam>> custom;
  for (const char* text : defs_json) {
    json::Document d;
    json::parse(text, d);
    std::vector<std::string> errors;
    custom.push_back(search::SearchParameterRegistry::parse_definition(d, errors));
    custom.back()->custom = true;
  }
  auto snapshot = search::SearchParameterRegistry::with_custom(r4, std::move(custom));

  // Rounds alternate between the two registries, so a load change on this shared machine hits both.
  constexpr int kRounds = 5;
  size_t quantities = 0;
  std::vector<std::string> strings;
  double r4_us = extraction_us(*r4, corpus, *defs, 1, &quantities, &strings);
  double snap_us = extraction_us(*snapshot, corpus, *defs, 1);
  for (int r = 1; r < kRounds; ++r) {
    r4_us = std::min(r4_us, extraction_us(*r4, corpus, *defs, 1));
    snap_us = std::min(snap_us, extraction_us(*snapshot, corpus, *defs, 1));
  }

  size_t non_ascii = 0;
  for (const auto& s : strings)
    for (unsigned char ch : s)
      if (ch >= 0x80) {
        ++non_ascii;
        break;
      }
  const size_t n = 200000;
  const double ascii_ns = ns_per_call(n, [&](size_t i) { (void)search::normalize_string(strings[i % strings.size()]); });
  const std::vector<std::string> accented = {"Müller-Łukasiewicz", "Ångström", "Σοφία Παπαδοπούλου", "Ёлкин Иван"};
  const double icu_ns = ns_per_call(n, [&](size_t i) { (void)search::normalize_string(accented[i % accented.size()]); });
  const std::vector<std::string> units = {"mg", "kg", "mmol/L", "mm[Hg]", "/min", "10*3/uL", "%", "Cel"};
  const double ucum_ns = ns_per_call(n, [&](size_t i) { (void)search::ucum_canonical(units[i % units.size()]); });

  std::ostringstream md;
  md << "# Search-value extraction cost (bench/search/extract_cost.cpp)\n\n"
     << "Synthea: " << corpus.resources.size() << " resources, every parameter of each resource's type, best of "
     << kRounds << " alternating rounds, one thread, on this (shared, loaded) machine. Ratios are what to read.\n\n"
     << "| what | figure |\n|---|---|\n"
     << "| extraction per resource, R4 registry | " << r4_us << " µs |\n"
     << "| extraction per resource, snapshot with 5 custom parameters | " << snap_us << " µs ("
     << (snap_us / r4_us) << "×) |\n"
     << "| string values extracted | " << strings.size() << " (" << non_ascii << " not ASCII) |\n"
     << "| normalize_string, Synthea strings (ASCII fast path) | " << ascii_ns << " ns/call |\n"
     << "| normalize_string, accented/Greek/Cyrillic (ICU) | " << icu_ns << " ns/call |\n"
     << "| quantities extracted (UCUM ones also get a canonical twin) | " << quantities << " |\n"
     << "| ucum_canonical (memoized per thread) | " << ucum_ns << " ns/call |\n\n"
     << "Per resource, ICU costs nothing on ASCII text (the old lower-casing loop), and the UCUM twin "
     << "one memo lookup and one value per quantity: "
     << (static_cast<double>(quantities) / static_cast<double>(corpus.resources.size()) * ucum_ns / 1000.0)
     << " µs per resource on average, " << (static_cast<double>(quantities) / static_cast<double>(corpus.resources.size()) *
                                            ucum_ns / 1000.0 / r4_us * 100)
     << "% of extraction.\n";
  std::cout << md.str();
  std::filesystem::create_directories(HEALTHD_SOURCE_DIR "/bench/results");
  std::ofstream(HEALTHD_SOURCE_DIR "/bench/results/search-extract.md") << md.str();
  return 0;
}
