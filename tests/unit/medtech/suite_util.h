// Helpers shared by the compliance-suite tests: file reading, the known-failures list, reporting.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iomanip>
#include <iostream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "json/json.h"

namespace medtech_test {

namespace fs = std::filesystem;

inline fs::path testdata(const std::string& sub) {
  return fs::path(HEALTHD_SOURCE_DIR) / ".." / "shared" / "testdata" / sub;
}

inline std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  std::string s = ss.str();
  if (s.rfind("\xEF\xBB\xBF", 0) == 0) s.erase(0, 3);  // UTF-8 BOM
  return s;
}

// "name — reason" lines ('#' comments and blank lines skipped).
inline std::map<std::string, std::string> known_failures(const std::string& file) {
  std::map<std::string, std::string> out;
  std::ifstream in(fs::path(HEALTHD_SOURCE_DIR) / "tests/unit/medtech" / file);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    size_t sep = line.find(" — ");
    std::string name = line.substr(0, sep);
    while (!name.empty() && name.back() == ' ') name.pop_back();
    out[name] = sep == std::string::npos ? "" : line.substr(sep + 5);
  }
  return out;
}

// Collects outcomes; report() fails the test on unlisted failures, listed passes, or < 95%.
class Tally {
 public:
  Tally(std::string suite, std::string known_file) : suite_(std::move(suite)), known_(known_failures(known_file)) {}

  void record(const std::string& name, bool pass, const std::string& detail) {
    if (!seen_.insert(name).second) ADD_FAILURE() << "duplicate case name " << name;
    ++total_;
    if (pass) {
      ++passed_;
      if (known_.count(name)) unexpected_passes_.push_back(name);
    } else if (!known_.count(name)) {
      unexpected_failures_.push_back(name + ": " + detail);
    }
    if (!pass && std::getenv("MEDTECH_SUITE_LIST") != nullptr) std::cout << "  FAIL " << name << ": " << detail << "\n";
  }

  void report() {
    std::cout << suite_ << ": " << passed_ << "/" << total_ << " passed (" << std::fixed << std::setprecision(1)
              << (total_ ? 100.0 * passed_ / total_ : 0.0) << "%), " << total_ - passed_ << " known failures\n";
    for (const auto& f : unexpected_failures_) ADD_FAILURE() << "unexpected failure: " << f;
    for (const auto& p : unexpected_passes_) ADD_FAILURE() << "listed as a known failure but passes: " << p;
    for (const auto& [name, reason] : known_)
      if (!seen_.count(name)) ADD_FAILURE() << "known failure names an unknown case: " << name;
    EXPECT_GE(passed_ * 100, total_ * 95) << suite_ << " below 95%";
  }

 private:
  std::string suite_;
  std::map<std::string, std::string> known_;
  std::set<std::string> seen_;
  int total_ = 0, passed_ = 0;
  std::vector<std::string> unexpected_failures_, unexpected_passes_;
};

}  // namespace medtech_test
