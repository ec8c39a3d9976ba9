// What validation costs per resource, over every Synthea resource (bundles and NDJSON), in one run:
//   structural  Validator::validate, the check every write runs
//   full        Conformance::validate with no profile: + ele-1, base invariants (FHIRPath), bindings
//   profile     full + a US Core-like Patient profile (Patients only)
// Writes bench/results/fhir-validate.md.  Run: bench/fhir_validate.sh
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "fhir/conformance.h"
#include "fhir/value_set_catalog.h"
#include "json/json.h"

using namespace healthd;
namespace fs = std::filesystem;

namespace {

std::string read(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Seconds for fn over all items, best of three rounds.
double best_seconds(const std::function<void()>& fn) {
  double best = 1e18;
  for (int round = 0; round < 3; ++round) {
    auto start = std::chrono::steady_clock::now();
    fn();
    best = std::min(best, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  return best;
}

}  // namespace

int main(int argc, char** argv) {
  fs::path source = HEALTHD_SOURCE_DIR;
  fs::path synthea = argc > 1 ? fs::path(argv[1]) : source / "../shared/testdata/synthea";
  auto defs = fhir::Definitions::load(HEALTHD_DEFINITIONS_DIR);
  auto terminology = fhir::ValueSetCatalog::open(defs->dir());

  std::vector<std::unique_ptr<json::Document>> docs;
  std::vector<const json::Value*> resources;
  size_t bytes = 0;
  for (const auto& f : fs::directory_iterator(synthea / "bundles")) {
    auto doc = std::make_unique<json::Document>();
    std::string text = read(f.path());
    bytes += text.size();
    if (!json::parse(text, *doc)) return 1;
    for (const auto& e : (*doc)["entry"].GetArray()) resources.push_back(&e["resource"]);
    docs.push_back(std::move(doc));
  }
  for (const auto& f : fs::directory_iterator(synthea / "ndjson")) {
    if (f.path().filename() == "log.ndjson") continue;
    std::ifstream in(f.path());
    std::string line;
    while (std::getline(in, line)) {
      if (line.empty()) continue;
      auto doc = std::make_unique<json::Document>();
      bytes += line.size();
      if (!json::parse(line, *doc)) return 1;
      resources.push_back(doc.get());
      docs.push_back(std::move(doc));
    }
  }
  std::printf("%zu resources, %.1f MB\n", resources.size(), bytes / 1e6);

  fhir::Validator structural(defs);
  fhir::Conformance full(defs, terminology);
  fhir::ProfileCache profiles(defs, [&](const std::string& url) -> std::optional<std::string> {
    if (url != "http://example.org/fhir/StructureDefinition/core-patient") return std::nullopt;
    return read(source / "tests/unit/fhir/validate_cases/profiles/core-patient.json");
  });

  size_t errors = 0, warnings = 0, notes = 0;
  std::map<std::string, size_t> warning_kinds;  // "Constraint dom-6", "Profile", ...
  for (const auto* r : resources)
    for (const auto& i : full.validate(*r, {}, nullptr)) {
      if (i.severity == "error") ++errors;
      else if (i.severity == "warning") ++warnings;
      else ++notes;
      if (i.severity == "warning") {
        std::string_view d = i.diagnostics;
        size_t cut = d.find(' ', d.find(' ') + 1);
        ++warning_kinds[d.starts_with("Profile ") ? "meta.profile not stored" : std::string(d.substr(0, cut))];
      }
    }

  double t_struct = best_seconds([&] {
    for (const auto* r : resources) structural.validate(*r);
  });
  double t_full = best_seconds([&] {
    for (const auto* r : resources) full.validate(*r, {}, nullptr);
  });
  std::vector<const json::Value*> patients;
  for (const auto* r : resources)
    if (std::string_view((*r)["resourceType"].GetString()) == "Patient") patients.push_back(r);
  fhir::ValidationOptions with_profile;
  with_profile.profiles.push_back("http://example.org/fhir/StructureDefinition/core-patient");
  double t_pat_full = best_seconds([&] {
    for (const auto* r : patients) full.validate(*r, {}, nullptr);
  });
  double t_pat_profile = best_seconds([&] {
    for (const auto* r : patients) full.validate(*r, with_profile, &profiles);
  });

  // Per type: the costliest under full validation.
  std::map<std::string, std::vector<const json::Value*>> by_type;
  for (const auto* r : resources) by_type[(*r)["resourceType"].GetString()].push_back(r);
  std::vector<std::pair<double, std::string>> per_type;
  for (const auto& [type, list] : by_type) {
    double t = best_seconds([&] {
      for (const auto* r : list) full.validate(*r, {}, nullptr);
    });
    per_type.emplace_back(t * 1e6 / list.size(), type + " (" + std::to_string(list.size()) + ")");
  }
  std::sort(per_type.rbegin(), per_type.rend());

  auto counts = full.invariants().counts();
  double n = static_cast<double>(resources.size());
  fs::path out = source / "bench/results/fhir-validate.md";
  FILE* f = std::fopen(out.c_str(), "w");
  if (!f) return 1;
  std::fprintf(f, "# FHIR validation cost\n\n");
  std::fprintf(f, "Every Synthea resource of ../shared/testdata/synthea (%zu resources, %.1f MB of JSON, parsed once),\n",
               resources.size(), bytes / 1e6);
  std::fprintf(f, "validated in one process on one core, best of three rounds (bench/fhir_validate.sh).\n\n");
  std::fprintf(f, "| validation | resources/s | µs/resource | × structural |\n|---|---|---|---|\n");
  std::fprintf(f, "| structural (every write) | %.0f | %.1f | 1.0 |\n", n / t_struct, t_struct * 1e6 / n);
  std::fprintf(f, "| full: + invariants, ele-1, required bindings ($validate, opt-in) | %.0f | %.1f | %.1f |\n",
               n / t_full, t_full * 1e6 / n, t_full / t_struct);
  std::fprintf(f, "| Patients, full | %.0f | %.1f | - |\n", patients.size() / t_pat_full,
               t_pat_full * 1e6 / patients.size());
  std::fprintf(f, "| Patients, full + a US Core-like profile | %.0f | %.1f | - |\n", patients.size() / t_pat_profile,
               t_pat_profile * 1e6 / patients.size());
  std::fprintf(f, "\nIssues under full validation: %zu errors, %zu warnings, %zu information.\n", errors, warnings, notes);
  std::fprintf(f, "Warnings by kind:");
  for (const auto& [kind, count] : warning_kinds) std::fprintf(f, " %s: %zu;", kind.c_str(), count);
  std::fprintf(f, "\n");
  std::fprintf(f, "\nBase R4 invariants: %zu distinct (key, expression), %zu compiled and evaluated, %zu skipped "
                  "(src/fhir/invariant_skips.cpp).\n",
               counts.total, counts.compiled, counts.skipped);
  std::fprintf(f, "\nCostliest types under full validation (µs/resource):\n\n| type (count) | µs |\n|---|---|\n");
  for (size_t i = 0; i < per_type.size() && i < 8; ++i)
    std::fprintf(f, "| %s | %.1f |\n", per_type[i].second.c_str(), per_type[i].first);
  std::fclose(f);
  std::printf("wrote %s\n", out.c_str());
  return 0;
}
