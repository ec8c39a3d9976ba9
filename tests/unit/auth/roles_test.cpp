#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <stdexcept>

#include "auth/roles.h"
#include "auth/roles_file.h"

namespace healthd::auth {
namespace {

using enum DataAction;

constexpr DataActions kRead = bit(Read) | bit(Search) | bit(ReadById);
constexpr DataActions kWrite = bit(Write) | bit(Create) | bit(Update);

DataActions actions_of(const std::string& role) { return RoleTable::builtin().actions_for({role}); }

TEST(RoleTable, BuiltinRolesGrantExactlyTheReferenceActions) {
  EXPECT_EQ(actions_of("FHIR Data Reader"), kRead);
  EXPECT_EQ(actions_of("FHIR Data Writer"), kRead | kWrite | bit(Delete) | bit(Export) | bit(ResourceValidate) |
                                                bit(Reindex) | bit(ConvertData) | bit(EditProfileDefinitions) |
                                                bit(Import));
  EXPECT_EQ(actions_of("FHIR Data Contributor"), kWildcardDataActions);
  EXPECT_EQ(actions_of("FHIR Data Exporter"), kRead | bit(Export));
  EXPECT_EQ(actions_of("FHIR Data Importer"), kRead | bit(Import));
  EXPECT_EQ(actions_of("FHIR Data Converter"), bit(ConvertData));
  EXPECT_EQ(actions_of("FHIR SMART User"), kRead | bit(Smart));
  EXPECT_EQ(actions_of("DICOM Data Owner"), bit(DicomRead) | bit(DicomWrite) | bit(DicomDelete));
  EXPECT_EQ(actions_of("DICOM Data Reader"), bit(DicomRead));
  EXPECT_EQ(actions_of("DICOM Data Read"), bit(DicomRead));
  EXPECT_EQ(actions_of("healthd Administrator"), kAllDataActions);
}

TEST(RoleTable, WriterHasNoHardDeleteContributorHasAllButSmart) {
  EXPECT_FALSE(actions_of("FHIR Data Writer") & bit(HardDelete));
  DataActions contributor = actions_of("FHIR Data Contributor");
  for (DataAction a : {Read, Write, Delete, HardDelete, Export, ResourceValidate, Reindex, ConvertData,
                       EditProfileDefinitions, Import, SearchParameter, BulkOperator, Search, ReadById, Create, Update})
    EXPECT_TRUE(contributor & bit(a)) << describe_actions(bit(a));
  EXPECT_FALSE(contributor & bit(Smart));
  EXPECT_FALSE(contributor & bit(Administer));
  EXPECT_FALSE(contributor & bit(DicomRead));
}

TEST(RoleTable, AdministratorHasAdministerButNotSmart) {
  DataActions admin = actions_of("healthd Administrator");
  EXPECT_TRUE(admin & bit(Administer));
  EXPECT_TRUE(admin & bit(HardDelete));
  EXPECT_TRUE(admin & bit(DicomDelete));
  EXPECT_FALSE(admin & bit(Smart));
}

TEST(RoleTable, NamesAreCaseSensitiveAndAcceptedWithoutSpaces) {
  RoleTable t = RoleTable::builtin();
  EXPECT_TRUE(t.known("FHIR Data Reader"));
  EXPECT_TRUE(t.known("FHIRDataReader"));
  EXPECT_TRUE(t.known("healthdAdministrator"));
  EXPECT_FALSE(t.known("fhir data reader"));
  EXPECT_FALSE(t.known("FHIR_Data_Reader"));
  EXPECT_EQ(t.actions_for({"FHIRSMARTUser"}), kRead | bit(Smart));
  EXPECT_EQ(t.actions_for({"nobody"}), 0u);
}

TEST(RoleTable, ActionsAreTheUnionOverRoles) {
  RoleTable t = RoleTable::builtin();
  EXPECT_EQ(t.actions_for({"FHIR Data Converter", "FHIR Data Exporter", "unknown"}),
            kRead | bit(Export) | bit(ConvertData));
  EXPECT_EQ(t.actions_for({}), 0u);
}

TEST(RoleTable, CustomRolesAddAndReplace) {
  RoleTable t = RoleTable::builtin();
  t.add_custom("globalReader", kRead);
  EXPECT_TRUE(t.known("globalReader"));
  EXPECT_EQ(t.actions_for({"globalReader"}), kRead);
  t.add_custom("FHIR Data Reader", bit(Search));
  EXPECT_EQ(t.actions_for({"FHIR Data Reader"}), bit(Search));
}

TEST(RoleActionNames, EveryReferenceNameMaps) {
  EXPECT_EQ(action_from_name("read"), kRead);
  EXPECT_EQ(action_from_name("write"), kWrite);
  EXPECT_EQ(action_from_name("*"), kWildcardDataActions);
  EXPECT_EQ(action_from_name("delete"), bit(Delete));
  EXPECT_EQ(action_from_name("hardDelete"), bit(HardDelete));
  EXPECT_EQ(action_from_name("export"), bit(Export));
  EXPECT_EQ(action_from_name("resourceValidate"), bit(ResourceValidate));
  EXPECT_EQ(action_from_name("reindex"), bit(Reindex));
  EXPECT_EQ(action_from_name("convertData"), bit(ConvertData));
  EXPECT_EQ(action_from_name("editProfileDefinitions"), bit(EditProfileDefinitions));
  EXPECT_EQ(action_from_name("import"), bit(Import));
  EXPECT_EQ(action_from_name("searchParameter"), bit(SearchParameter));
  EXPECT_EQ(action_from_name("bulkOperator"), bit(BulkOperator));
  EXPECT_EQ(action_from_name("smart"), bit(Smart));
  EXPECT_EQ(action_from_name("search"), bit(Search));
  EXPECT_EQ(action_from_name("readById"), bit(ReadById));
  EXPECT_EQ(action_from_name("create"), bit(Create));
  EXPECT_EQ(action_from_name("update"), bit(Update));
  EXPECT_EQ(action_from_name("HardDelete"), bit(HardDelete));  // case-insensitive
  EXPECT_FALSE(action_from_name("purge"));
  EXPECT_FALSE(action_from_name("administer"));  // only the built-in Administrator role
  EXPECT_FALSE(action_from_name(""));
  EXPECT_FALSE(kWildcardDataActions & bit(Smart));
}

TEST(RoleActionNames, DescribeListsOneNamePerBit) {
  EXPECT_EQ(describe_actions(bit(Read) | bit(HardDelete) | bit(Smart)), "read,hardDelete,smart");
  EXPECT_EQ(describe_actions(0), "");
}

// ---- roles file ----

TEST(RolesFile, ParsesTheOpenSourceShape) {
  std::string error;
  auto roles = parse_roles_file(R"({"roles":[
      {"name":"globalReader","dataActions":["read"],"notDataActions":[],"scopes":["/"]},
      {"name":"globalWriter","dataActions":["*"],"notDataActions":["hardDelete","export"],"scopes":["/"]},
      {"name":"smartUser","dataActions":["smart","readById","search"]}]})",
                                &error);
  ASSERT_TRUE(roles) << error;
  ASSERT_EQ(roles->size(), 3u);
  EXPECT_EQ((*roles)[0].name, "globalReader");
  EXPECT_EQ((*roles)[0].actions, kRead);
  EXPECT_EQ((*roles)[1].actions, kWildcardDataActions & ~bit(HardDelete) & ~bit(Export));
  EXPECT_EQ((*roles)[2].actions, bit(Smart) | bit(ReadById) | bit(Search));
}

TEST(RolesFile, NotDataActionsRemoveCompositeNames) {
  std::string error;
  auto roles = parse_roles_file(R"({"roles":[{"name":"r","dataActions":["read","write"],"notDataActions":["write"]}]})",
                                &error);
  ASSERT_TRUE(roles) << error;
  EXPECT_EQ((*roles)[0].actions, kRead);
}

TEST(RolesFile, RejectsBadFilesWithClearErrors) {
  struct Case {
    const char* text;
    const char* expected;
  };
  const Case cases[] = {
      {"not json", "not JSON"},
      {"[]", "\"roles\" array"},
      {R"({"roles":{}})", "\"roles\" array"},
      {R"({"roles":[1]})", "roles[0]: must be an object"},
      {R"({"roles":[{"dataActions":["read"]}]})", "\"name\" must be a non-empty string"},
      {R"({"roles":[{"name":"","dataActions":["read"]}]})", "\"name\" must be a non-empty string"},
      {R"({"roles":[{"name":"a"}]})", "\"dataActions\" is required"},
      {R"({"roles":[{"name":"a","dataActions":"read"}]})", "must be an array"},
      {R"({"roles":[{"name":"a","dataActions":[3]}]})", "must hold strings"},
      {R"({"roles":[{"name":"a","dataActions":["fly"]}]})", "unknown data action \"fly\""},
      {R"({"roles":[{"name":"a","dataActions":["read"],"notDataActions":["nope"]}]})",
       "unknown data action \"nope\" in \"notDataActions\""},
      {R"({"roles":[{"name":"a","dataActions":["read"],"scopes":["/Patient"]}]})", "only the scope \"/\""},
      {R"({"roles":[{"name":"a","dataActions":["read"]},{"name":"a","dataActions":["read"]}]})",
       "roles[1] (\"a\"): duplicate role name"},
  };
  for (const auto& c : cases) {
    std::string error;
    EXPECT_FALSE(parse_roles_file(c.text, &error)) << c.text;
    EXPECT_NE(error.find(c.expected), std::string::npos) << c.text << " -> " << error;
  }
}

TEST(RolesFile, LoadAddsRolesToTheTable) {
  std::string path = ::testing::TempDir() + "/healthd_roles_test.json";
  {
    std::ofstream(path) << R"({"roles":[{"name":"exporter2","dataActions":["read","export"],"scopes":["/"]}]})";
  }
  RoleTable t = RoleTable::builtin();
  load_roles_file(path, t);
  EXPECT_EQ(t.actions_for({"exporter2"}), kRead | bit(Export));
  {
    std::ofstream(path) << R"({"roles":[{"name":"x","dataActions":["bogus"]}]})";
  }
  try {
    load_roles_file(path, t);
    FAIL() << "expected an exception";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find(path), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("bogus"), std::string::npos);
  }
  std::remove(path.c_str());
  EXPECT_THROW(load_roles_file(path, t), std::runtime_error);
}

}  // namespace
}  // namespace healthd::auth
