// ValueSet expansion and CodeSystem hierarchies (token :in/:not-in/:above/:below).
#include <gtest/gtest.h>

#include "search/terminology.h"

namespace search = healthd::search;

namespace {

const search::Terminology& r4() {
  static auto t = search::Terminology::open(HEALTHD_DEFINITIONS_DIR);
  return *t;
}

std::set<std::string> codes(const search::Expansion& e, const std::string& system) {
  auto it = e.codes.find(system);
  return it == e.codes.end() ? std::set<std::string>{} : it->second;
}

const char* kShapes = R"({"resourceType":"Bundle","entry":[
  {"resource":{"resourceType":"CodeSystem","url":"urn:shapes","content":"complete","concept":[
    {"code":"shape","concept":[{"code":"polygon","concept":[{"code":"triangle"},{"code":"square"}]},{"code":"circle"}]},
    {"code":"line","property":[{"code":"parent","valueCode":"shape"}]}]}},
  {"resource":{"resourceType":"ValueSet","url":"urn:vs:polygons","compose":{
    "include":[{"system":"urn:shapes","filter":[{"property":"concept","op":"is-a","value":"polygon"}]}],
    "exclude":[{"system":"urn:shapes","concept":[{"code":"polygon"}]}]}}},
  {"resource":{"resourceType":"ValueSet","url":"urn:vs:not-polygons","compose":{
    "include":[{"system":"urn:shapes","filter":[{"property":"concept","op":"is-not-a","value":"polygon"}]}]}}},
  {"resource":{"resourceType":"ValueSet","url":"urn:vs:import","compose":{
    "include":[{"valueSet":["urn:vs:polygons"]},{"system":"http://loinc.org"}]}}},
  {"resource":{"resourceType":"ValueSet","url":"urn:vs:cycle","compose":{"include":[{"valueSet":["urn:vs:cycle"]}]}}},
  {"resource":{"resourceType":"ValueSet","url":"urn:vs:big","compose":{"include":[{"system":"urn:shapes"}]}}},
  {"resource":{"resourceType":"ValueSet","url":"urn:vs:loinc-minus","compose":{
    "include":[{"system":"http://loinc.org"}],"exclude":[{"system":"http://loinc.org","concept":[{"code":"1-8"}]}]}}}
]})";

}  // namespace

TEST(Terminology, ExpandsR4ValueSetsOfEveryKind) {
  std::string why;
  // A whole CodeSystem of the definitions.
  auto e = r4().expand("http://hl7.org/fhir/ValueSet/administrative-gender", {}, why);
  ASSERT_NE(e, nullptr) << why;
  EXPECT_EQ(codes(*e, "http://hl7.org/fhir/administrative-gender"),
            (std::set<std::string>{"male", "female", "other", "unknown"}));
  // A concept list of a code system not held (LOINC).
  e = r4().expand("http://hl7.org/fhir/ValueSet/observation-vitalsignresult|4.0.1", {}, why);
  ASSERT_NE(e, nullptr) << why;
  EXPECT_TRUE(codes(*e, "http://loinc.org").contains("8867-4"));
  // is-a filter on the v3 ActCode hierarchy, minus the abstract root.
  e = r4().expand("http://terminology.hl7.org/ValueSet/v3-ActEncounterCode", {}, why);
  ASSERT_NE(e, nullptr) << why;
  auto act = codes(*e, "http://terminology.hl7.org/CodeSystem/v3-ActCode");
  EXPECT_TRUE(act.contains("AMB") && act.contains("IMP"));
  EXPECT_FALSE(act.contains("_ActEncounterCode"));
  // Expanding again answers the cached expansion.
  EXPECT_EQ(r4().expand("http://terminology.hl7.org/ValueSet/v3-ActEncounterCode", {}, why), e);
  EXPECT_EQ(r4().expand("http://example.org/unknown", {}, why), nullptr);
  EXPECT_NE(why.find("unknown"), std::string::npos);
}

TEST(Terminology, R4CodeSystemHierarchies) {
  std::shared_ptr<const search::CodeSystem> holder;
  const search::CodeSystem* cs = r4().code_system("http://terminology.hl7.org/CodeSystem/v3-ActCode", {}, holder);
  ASSERT_NE(cs, nullptr);
  auto below = cs->descendants_or_self("_ActEncounterCode");
  EXPECT_NE(std::find(below.begin(), below.end(), "AMB"), below.end());
  auto above = cs->ancestors_or_self("AMB");
  EXPECT_NE(std::find(above.begin(), above.end(), "_ActEncounterCode"), above.end());
  EXPECT_EQ(r4().code_system("http://loinc.org", {}, holder), nullptr);
}

TEST(Terminology, FiltersImportsExcludesAndLimits) {
  auto t = search::Terminology::from_bundles({kShapes}, 5);
  std::string why;
  auto e = t->expand("urn:vs:polygons", {}, why);
  ASSERT_NE(e, nullptr) << why;
  EXPECT_EQ(codes(*e, "urn:shapes"), (std::set<std::string>{"triangle", "square"}));
  e = t->expand("urn:vs:not-polygons", {}, why);
  ASSERT_NE(e, nullptr) << why;
  EXPECT_EQ(codes(*e, "urn:shapes"), (std::set<std::string>{"shape", "circle", "line"}));
  e = t->expand("urn:vs:import", {}, why);
  ASSERT_NE(e, nullptr) << why;
  EXPECT_EQ(codes(*e, "urn:shapes").size(), 2u);
  EXPECT_TRUE(e->whole_systems.contains("http://loinc.org"));
  // The parent property links too.
  std::shared_ptr<const search::CodeSystem> holder;
  const search::CodeSystem* cs = t->code_system("urn:shapes", {}, holder);
  ASSERT_NE(cs, nullptr);
  EXPECT_EQ(cs->descendants_or_self("shape").size(), 6u);
  EXPECT_EQ(cs->ancestors_or_self("line"), (std::vector<std::string>{"shape", "line"}));
  EXPECT_EQ(cs->descendants_or_self("unknown"), std::vector<std::string>{"unknown"});
  // What cannot be expanded says why.
  EXPECT_EQ(t->expand("urn:vs:cycle", {}, why), nullptr);
  EXPECT_NE(why.find("cycle"), std::string::npos);
  EXPECT_EQ(t->expand("urn:vs:big", {}, why), nullptr);  // 6 codes, limit 5
  EXPECT_NE(why.find("more than 5"), std::string::npos);
  EXPECT_EQ(t->expand("urn:vs:loinc-minus", {}, why), nullptr);
  EXPECT_NE(why.find("does not hold"), std::string::npos);
}

TEST(Terminology, StoredValueSetsAndCodeSystemsThroughTheLookup) {
  auto t = search::Terminology::from_bundles({});
  int lookups = 0;
  std::string version = "1";
  search::TermLookup lookup = [&](std::string_view type, std::string_view url) -> std::optional<search::StoredTerm> {
    ++lookups;
    if (type == "ValueSet" && url == "urn:vs:stored")
      return search::StoredTerm{"ValueSet/s/_history/" + version,
                                R"({"resourceType":"ValueSet","url":"urn:vs:stored","compose":{"include":[
                                   {"system":"urn:cs:stored","filter":[{"property":"concept","op":"descendent-of","value":"a"}]}]}})"};
    if (type == "CodeSystem" && url == "urn:cs:stored")
      return search::StoredTerm{"CodeSystem/c/_history/1",
                                R"({"resourceType":"CodeSystem","url":"urn:cs:stored","concept":[
                                   {"code":"a","concept":[{"code":"b"}]}]})"};
    return std::nullopt;
  };
  std::string why;
  auto e = t->expand("urn:vs:stored", lookup, why);
  ASSERT_NE(e, nullptr) << why;
  EXPECT_EQ(codes(*e, "urn:cs:stored"), std::set<std::string>{"b"});
  std::shared_ptr<const search::CodeSystem> holder;
  const search::CodeSystem* cs = t->code_system("urn:cs:stored", lookup, holder);
  ASSERT_NE(cs, nullptr);
  EXPECT_EQ(cs->ancestors_or_self("b"), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(t->expand("urn:vs:none", lookup, why), nullptr);
  EXPECT_GT(lookups, 0);
}
