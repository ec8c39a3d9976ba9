// Snapshots of the R4 registry with custom SearchParameters.
#include <gtest/gtest.h>

#include "json/json.h"
#include "search/search_parameters.h"

namespace search = healthd::search;
namespace json = healthd::json;

namespace {

std::shared_ptr<const search::SearchParameterRegistry> r4() {
  static auto r = search::SearchParameterRegistry::load(HEALTHD_DEFINITIONS_DIR);
  return r;
}

std::unique_ptr<search::SearchParam> parse(const std::string& text, std::vector<std::string>& errors) {
  json::Document doc;
  EXPECT_TRUE(json::parse(text, doc));
  return search::SearchParameterRegistry::parse_definition(doc, errors);
}

const char* kEyeColour = R"({"resourceType":"SearchParameter","url":"http://x.org/sp/eye","code":"eye-colour",
  "base":["Patient","Person"],"type":"token",
  "expression":"Patient.extension('http://x.org/eye').value | Person.extension('http://x.org/eye').value"})";

TEST(CustomSearchParameters, ASnapshotAddsThemOverTheSharedBase) {
  std::vector<std::string> errors;
  auto p = parse(kEyeColour, errors);
  ASSERT_TRUE(p);
  EXPECT_TRUE(errors.empty());
  p->custom = true;
  p->enabled = false;
  std::vector<std::unique_ptr<search::SearchParam>> custom;
  custom.push_back(std::move(p));
  auto snap = search::SearchParameterRegistry::with_custom(r4(), std::move(custom));

  EXPECT_EQ(snap->base(), r4().get());
  const search::SearchParam* eye = snap->find("Patient", "eye-colour");
  ASSERT_NE(eye, nullptr);
  EXPECT_TRUE(eye->custom);
  EXPECT_FALSE(eye->enabled);
  // Narrowed per type like the R4 parameters.
  EXPECT_EQ(eye->expression, "Patient.extension('http://x.org/eye').value");
  EXPECT_EQ(snap->by_url("http://x.org/sp/eye"), snap->all()[0].get());
  EXPECT_EQ(r4()->find("Patient", "eye-colour"), nullptr);  // the base is untouched
  // Built-in parameters are still found, through the base.
  EXPECT_EQ(snap->find("Patient", "name"), r4()->find("Patient", "name"));
  auto list = snap->for_type("Patient");
  EXPECT_EQ(list.size(), r4()->for_type("Patient").size() + 1);
  EXPECT_NE(std::find(list.begin(), list.end(), eye), list.end());
  EXPECT_EQ(snap->for_type("Observation").size(), r4()->for_type("Observation").size());
}

TEST(CustomSearchParameters, DefinitionErrorsAreReported) {
  std::vector<std::string> errors;
  auto bad = parse(R"({"resourceType":"SearchParameter","url":"u","code":"c","base":["Patient"],
    "type":"string","expression":"Patient.name.where("})", errors);
  ASSERT_TRUE(bad);
  EXPECT_FALSE(bad->compiled_ok);
  ASSERT_EQ(errors.size(), 1u);
  errors.clear();
  EXPECT_FALSE(parse(R"({"resourceType":"SearchParameter","url":"u","type":"string"})", errors));
  EXPECT_FALSE(errors.empty());
}

TEST(CustomSearchParameters, TheDefinitionKeyFollowsWhatDecidesTheValues) {
  std::vector<std::string> errors;
  auto a = parse(kEyeColour, errors);
  auto b = parse(kEyeColour, errors);
  EXPECT_EQ(search::definition_key(*a), search::definition_key(*b));
  b->expression = "Patient.extension('http://x.org/eye2').value";
  EXPECT_NE(search::definition_key(*a), search::definition_key(*b));
}

}  // namespace
