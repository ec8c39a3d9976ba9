#include <gtest/gtest.h>

#include <set>

#include "auth/smart_scopes.h"

namespace healthd::auth {
namespace {

bool known_type(std::string_view t) {
  static const std::set<std::string, std::less<>> kTypes = {"Patient", "Observation", "Condition", "Encounter",
                                                            "MedicationRequest"};
  return kTypes.contains(t);
}

SmartScopes parse_ok(const std::vector<std::string>& scopes) {
  std::string error;
  auto parsed = SmartScopes::parse(scopes, known_type, &error);
  EXPECT_TRUE(parsed) << error;
  return parsed.value_or(SmartScopes{});
}

std::string parse_error(const std::vector<std::string>& scopes) {
  std::string error;
  auto parsed = SmartScopes::parse(scopes, known_type, &error);
  EXPECT_FALSE(parsed) << "accepted: " << scopes.front();
  EXPECT_FALSE(error.empty());
  return error;
}

bool allows(const SmartScopes& s, std::string_view type, Interaction i) { return s.check(type, i).allowed; }

constexpr Interaction kAll[] = {Interaction::Create, Interaction::Read, Interaction::Update, Interaction::Delete,
                                Interaction::Search};

TEST(SmartScopes, V1ReadIsReadAndSearch) {
  auto s = parse_ok({"openid", "fhirUser", "launch/patient", "patient/Observation.read"});
  EXPECT_TRUE(allows(s, "Observation", Interaction::Read));
  EXPECT_TRUE(allows(s, "Observation", Interaction::Search));
  EXPECT_FALSE(allows(s, "Observation", Interaction::Create));
  EXPECT_FALSE(allows(s, "Observation", Interaction::Update));
  EXPECT_FALSE(allows(s, "Observation", Interaction::Delete));
  EXPECT_FALSE(allows(s, "Condition", Interaction::Read));
  EXPECT_TRUE(s.has_patient_context());
  EXPECT_FALSE(s.has_system_context());
  EXPECT_TRUE(s.any_resource_scope());
  ASSERT_EQ(s.resource_scopes().size(), 1u);
  EXPECT_FALSE(s.resource_scopes()[0].v2);
}

TEST(SmartScopes, V1WriteIsCreateUpdateDelete) {
  auto s = parse_ok({"user/Observation.write"});
  EXPECT_TRUE(allows(s, "Observation", Interaction::Create));
  EXPECT_TRUE(allows(s, "Observation", Interaction::Update));
  EXPECT_TRUE(allows(s, "Observation", Interaction::Delete));
  EXPECT_FALSE(allows(s, "Observation", Interaction::Read));
  EXPECT_FALSE(allows(s, "Observation", Interaction::Search));
  EXPECT_TRUE(s.has_user_context());
  EXPECT_FALSE(s.has_patient_context());
}

TEST(SmartScopes, V1StarOnStarTypeAllowsEverything) {
  auto s = parse_ok({"system/*.*"});
  for (Interaction i : kAll) EXPECT_TRUE(allows(s, "Encounter", i));
  EXPECT_TRUE(s.has_system_context());
}

TEST(SmartScopes, V2LettersGrantExactlyThoseInteractions) {
  auto rs = parse_ok({"patient/Observation.rs"});
  EXPECT_TRUE(allows(rs, "Observation", Interaction::Read));
  EXPECT_TRUE(allows(rs, "Observation", Interaction::Search));
  EXPECT_FALSE(allows(rs, "Observation", Interaction::Create));

  auto r = parse_ok({"patient/Observation.r"});  // read by id only
  EXPECT_TRUE(allows(r, "Observation", Interaction::Read));
  EXPECT_FALSE(allows(r, "Observation", Interaction::Search));

  auto cud = parse_ok({"user/Condition.cud"});
  EXPECT_TRUE(allows(cud, "Condition", Interaction::Create));
  EXPECT_TRUE(allows(cud, "Condition", Interaction::Update));
  EXPECT_TRUE(allows(cud, "Condition", Interaction::Delete));
  EXPECT_FALSE(allows(cud, "Condition", Interaction::Read));

  auto cruds = parse_ok({"system/*.cruds"});
  for (Interaction i : kAll) EXPECT_TRUE(allows(cruds, "Patient", i));

  auto ds = parse_ok({"patient/Observation.ds"});
  EXPECT_TRUE(allows(ds, "Observation", Interaction::Delete));
  EXPECT_TRUE(allows(ds, "Observation", Interaction::Search));
  EXPECT_FALSE(allows(ds, "Observation", Interaction::Update));
}

TEST(SmartScopes, EveryOrderedSubsetOfCrudsParses) {
  const std::string letters = "cruds";
  for (int mask = 1; mask < 32; ++mask) {
    std::string suffix;
    for (int i = 0; i < 5; ++i)
      if (mask & (1 << i)) suffix += letters[i];
    auto s = parse_ok({"patient/Observation." + suffix});
    for (int i = 0; i < 5; ++i)
      EXPECT_EQ(allows(s, "Observation", kAll[i]), (mask & (1 << i)) != 0) << suffix << " " << i;
  }
}

TEST(SmartScopes, ScopesCombineAcrossTypes) {
  auto s = parse_ok({"patient/Observation.rs", "patient/Patient.r", "patient/*.c"});
  EXPECT_TRUE(allows(s, "Patient", Interaction::Read));
  EXPECT_FALSE(allows(s, "Patient", Interaction::Search));
  EXPECT_TRUE(allows(s, "Condition", Interaction::Create));
  EXPECT_FALSE(allows(s, "Condition", Interaction::Read));
}

TEST(SmartScopes, RestrictionsAreParsedAndReturnedAsAlternatives) {
  auto s = parse_ok({"patient/Observation.rs?category=http://terminology.hl7.org/CodeSystem/observation-category|laboratory",
                     "patient/Observation.s?category=vital-signs&status=final"});
  ScopeDecision search = s.check("Observation", Interaction::Search);
  EXPECT_TRUE(search.allowed);
  ASSERT_EQ(search.restrictions.size(), 2u);
  ASSERT_EQ(search.restrictions[0].size(), 1u);
  EXPECT_EQ(search.restrictions[0][0].first, "category");
  EXPECT_EQ(search.restrictions[0][0].second,
            "http://terminology.hl7.org/CodeSystem/observation-category|laboratory");
  ASSERT_EQ(search.restrictions[1].size(), 2u);
  EXPECT_EQ(search.restrictions[1][1], (std::pair<std::string, std::string>{"status", "final"}));

  ScopeDecision read = s.check("Observation", Interaction::Read);
  EXPECT_TRUE(read.allowed);
  EXPECT_EQ(read.restrictions.size(), 1u);

  EXPECT_FALSE(s.check("Observation", Interaction::Create).allowed);
  EXPECT_TRUE(s.check("Observation", Interaction::Create).restrictions.empty());
}

TEST(SmartScopes, AnUnrestrictedScopeWinsOverRestrictedOnes) {
  auto s = parse_ok({"patient/Observation.rs?category=laboratory", "patient/*.rs"});
  ScopeDecision d = s.check("Observation", Interaction::Search);
  EXPECT_TRUE(d.allowed);
  EXPECT_TRUE(d.restrictions.empty());
}

TEST(SmartScopes, RestrictionValuesArePercentDecoded) {
  auto s = parse_ok({"patient/Observation.rs?code=http%3A%2F%2Floinc.org%7C1234-5"});
  auto d = s.check("Observation", Interaction::Read);
  ASSERT_EQ(d.restrictions.size(), 1u);
  EXPECT_EQ(d.restrictions[0][0].second, "http://loinc.org|1234-5");
}

TEST(SmartScopes, NonResourceScopesAreIgnored) {
  auto s = parse_ok({"openid", "fhirUser", "profile", "launch", "launch/patient", "launch/encounter",
                     "offline_access", "online_access", "user_impersonation"});
  EXPECT_FALSE(s.any_resource_scope());
  EXPECT_FALSE(s.has_patient_context());
  EXPECT_FALSE(s.check("Observation", Interaction::Read).allowed);
  EXPECT_FALSE(parse_ok({}).any_resource_scope());
}

TEST(SmartScopes, RejectsMixingV1AndV2) {
  EXPECT_NE(parse_error({"patient/Observation.read", "patient/Condition.rs"}).find("v1 and v2"), std::string::npos);
  parse_error({"system/*.cruds", "system/Patient.*"});
}

TEST(SmartScopes, RejectsMixingContexts) {
  EXPECT_NE(parse_error({"patient/Observation.rs", "system/Condition.rs"}).find("mixed"), std::string::npos);
  parse_error({"patient/Observation.rs", "user/Condition.rs"});
  parse_error({"user/Observation.read", "system/Condition.read"});
}

TEST(SmartScopes, RejectsRepeatedOrUnorderedLetters) {
  EXPECT_NE(parse_error({"patient/Observation.rrs"}).find("repeated 'r'"), std::string::npos);
  EXPECT_NE(parse_error({"patient/Observation.sr"}).find("order"), std::string::npos);
  parse_error({"patient/Observation.dc"});
  parse_error({"patient/Observation.crudss"});
  parse_error({"patient/Observation.x"});
  parse_error({"patient/Observation.rw"});
  parse_error({"patient/Observation."});
  parse_error({"patient/Observation.READ"});
}

TEST(SmartScopes, RejectsMalformedAndUnknownTypes) {
  EXPECT_NE(parse_error({"patient/Unicorn.rs"}).find("unknown resource type \"Unicorn\""), std::string::npos);
  parse_error({"patient/observation.rs"});  // types are case-sensitive
  parse_error({"patient/.rs"});
  parse_error({"patient/Observation"});
  parse_error({"system/"});
}

TEST(SmartScopes, RejectsForbiddenRestrictions) {
  EXPECT_NE(parse_error({"patient/Observation.rs?subject.name=peter"}).find("chained"), std::string::npos);
  EXPECT_NE(parse_error({"patient/Observation.rs?code:text=x"}).find("modifiers"), std::string::npos);
  parse_error({"patient/Observation.rs?subject:Patient.name=peter"});
  parse_error({"patient/Patient.rs?_has:Observation:patient:code=1234"});
  parse_error({"patient/Observation.rs?_include=Observation:subject"});
  parse_error({"patient/Observation.rs?_revinclude=Provenance:target"});
  parse_error({"patient/Observation.rs?_has=x"});
  parse_error({"patient/Observation.rs?code%3Atext=x"});  // encoded modifier
  parse_error({"patient/Observation.rs?category"});
  parse_error({"patient/Observation.rs?=x"});
  parse_error({"patient/Observation.rs?category="});
  parse_error({"patient/Observation.rs?"});
  parse_error({"patient/Observation.rs?a=1&&b=2"});
  parse_error({"patient/Observation.rs?code=%zz"});
  EXPECT_NE(parse_error({"patient/Observation.read?category=laboratory"}).find("v2"), std::string::npos);
}

TEST(SmartScopes, ErrorNamesTheOffendingScope) {
  std::string error = parse_error({"openid", "patient/Observation.rs", "patient/Foo.rs"});
  EXPECT_NE(error.find("patient/Foo.rs"), std::string::npos) << error;
}

}  // namespace
}  // namespace healthd::auth
