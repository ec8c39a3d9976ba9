// UCUM canonical units and string normalization, from the data files under data/.
#include <gtest/gtest.h>

#include <cmath>
#include <fstream>
#include <sstream>

#include "search/index_values.h"
#include "search/ucum.h"

namespace search = healthd::search;

namespace {

std::vector<std::string> lines(const std::string& name) {
  std::ifstream in(std::string(HEALTHD_SOURCE_DIR) + "/tests/unit/search/data/" + name);
  EXPECT_TRUE(in) << name;
  std::vector<std::string> out;
  for (std::string line; std::getline(in, line);)
    if (!line.empty() && line[0] != '#') out.push_back(line);
  return out;
}

TEST(Ucum, CanonicalUnitsOfTheCaseFile) {
  size_t n = 0;
  for (const std::string& line : lines("ucum_cases.txt")) {
    std::istringstream fields(line);
    std::string code, factor, unit;
    fields >> code >> factor >> unit;
    auto c = search::ucum_canonical(code);
    ++n;
    if (factor == "none") {
      EXPECT_FALSE(c.has_value()) << code << " -> " << (c ? c->unit : "");
      continue;
    }
    ASSERT_TRUE(c.has_value()) << code;
    EXPECT_EQ(c->unit, unit) << code;
    const double want = std::stod(factor);
    EXPECT_NEAR(c->scale(1), want, std::fabs(want) * 1e-12) << code;
  }
  EXPECT_GT(n, 50u);
}

TEST(Ucum, PrefixesScaleByExactPowersOfTen) {
  EXPECT_EQ(search::ucum_canonical("mg")->scale(500), 0.5);
  EXPECT_EQ(search::ucum_canonical("kg")->scale(0.5), 500);
  EXPECT_EQ(search::ucum_canonical("ug")->scale(250), 0.00025);
}

TEST(Ucum, QuantitiesGetACanonicalTwinAndQueriesConvert) {
  std::string code = "mg";
  double v = 500, lo = 499.5, hi = 500.5;
  ASSERT_TRUE(search::to_canonical_ucum(code, v, lo, hi));
  EXPECT_EQ(code, "g");
  EXPECT_EQ(v, 0.5);
  EXPECT_DOUBLE_EQ(lo, 0.4995);
  EXPECT_DOUBLE_EQ(hi, 0.5005);
  std::string same = "g";
  EXPECT_FALSE(search::to_canonical_ucum(same, v, lo, hi));  // already canonical: no twin
  std::string affine = "Cel";
  EXPECT_FALSE(search::to_canonical_ucum(affine, v, lo, hi));
}

TEST(StringNormalization, CasesOfTheCaseFile) {
  size_t n = 0;
  for (const std::string& line : lines("normalize_cases.txt")) {
    auto arrow = line.find(" -> ");
    ASSERT_NE(arrow, std::string::npos) << line;
    EXPECT_EQ(search::normalize_string(line.substr(0, arrow)), line.substr(arrow + 4)) << line;
    ++n;
  }
  EXPECT_GT(n, 15u);
}

TEST(StringNormalization, AsciiIsOnlyLowerCasedAsBefore) {
  // Stores indexed before ICU agree on ASCII text (the upgrade reindex fixes the rest).
  EXPECT_EQ(search::normalize_string("Smith-Jones O'Neil 42"), "smith-jones o'neil 42");
  EXPECT_EQ(search::normalize_string(""), "");
  EXPECT_EQ(search::normalize_string(std::string("a\xff" "b")), "a\xEF\xBF\xBD" "b");  // U+FFFD
}

}  // namespace
