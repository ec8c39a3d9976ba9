#include "fhir/definitions.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>

namespace healthd::fhir {
namespace {

const Definitions& defs() {
  static std::shared_ptr<const Definitions> d = [] {
    auto start = std::chrono::steady_clock::now();
    std::clock_t cpu_start = std::clock();
    auto loaded = Definitions::load(HEALTHD_DEFINITIONS_DIR);
    auto ms = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
    std::printf("[ info     ] Definitions::load took %.0f ms (%.0f ms CPU)\n", ms,
                1000.0 * static_cast<double>(std::clock() - cpu_start) / CLOCKS_PER_SEC);
    return loaded;
  }();
  return *d;
}

TEST(Definitions, LoadsEveryOfficialConcreteResourceType) {
  // The resource-types CodeSystem of R4 4.0.1 has 148 codes: 146 concrete types plus Resource and
  // DomainResource. The file also holds SubscriptionStatus (fhirVersion 4.3.0, R4B), which is not R4.
  EXPECT_EQ(defs().resource_types().size(), 146u);
  EXPECT_TRUE(std::is_sorted(defs().resource_types().begin(), defs().resource_types().end()));
  EXPECT_FALSE(defs().is_resource_type("SubscriptionStatus"));
}

TEST(Definitions, KnowsConcreteTypesOnly) {
  EXPECT_TRUE(defs().is_resource_type("Patient"));
  EXPECT_TRUE(defs().is_resource_type("Observation"));
  EXPECT_TRUE(defs().is_resource_type("Bundle"));
  EXPECT_TRUE(defs().is_resource_type("VisionPrescription"));
  EXPECT_FALSE(defs().is_resource_type("Resource"));
  EXPECT_FALSE(defs().is_resource_type("DomainResource"));
  EXPECT_FALSE(defs().is_resource_type("MetadataResource"));  // a logical model
  EXPECT_FALSE(defs().is_resource_type("HumanName"));         // a datatype
  EXPECT_FALSE(defs().is_resource_type("patient"));
  EXPECT_FALSE(defs().is_resource_type("Foo"));
  EXPECT_FALSE(defs().is_resource_type(""));
}

TEST(Definitions, ModelsChoiceTypesAsOnePropertyPerType) {
  const TypeModel* obs = defs().resource("Observation");
  ASSERT_NE(obs, nullptr);
  EXPECT_TRUE(obs->is_resource);
  const ElementModel* q = obs->find("valueQuantity");
  const ElementModel* s = obs->find("valueString");
  ASSERT_NE(q, nullptr);
  ASSERT_NE(s, nullptr);
  EXPECT_TRUE(q->choice);
  EXPECT_EQ(q->slot, s->slot);  // one definition, value[x]
  EXPECT_EQ(obs->slot_names[q->slot], "value[x]");
  EXPECT_EQ(q->kind, ElementKind::Complex);
  EXPECT_EQ(q->type, defs().type("Quantity"));
  EXPECT_EQ(s->kind, ElementKind::Primitive);
  EXPECT_EQ(s->primitive, PrimitiveKind::String);
  EXPECT_EQ(obs->find("value"), nullptr);
  EXPECT_EQ(obs->find("value[x]"), nullptr);
  EXPECT_EQ(obs->find("valueFoo"), nullptr);
  ASSERT_NE(obs->find("effectiveDateTime"), nullptr);
  EXPECT_EQ(obs->find("effectiveDateTime")->primitive, PrimitiveKind::DateTime);
}

TEST(Definitions, ModelsCardinality) {
  const TypeModel* obs = defs().resource("Observation");
  ASSERT_NE(obs, nullptr);
  const ElementModel* status = obs->find("status");
  ASSERT_NE(status, nullptr);
  EXPECT_EQ(status->min, 1u);
  EXPECT_FALSE(status->array);
  EXPECT_TRUE(status->extensible);
  EXPECT_EQ(status->primitive, PrimitiveKind::Code);
  EXPECT_EQ(status->max, 1u);
  EXPECT_TRUE(obs->find("category")->array);
  EXPECT_EQ(obs->find("category")->max, ElementModel::kUnbounded);
  std::vector<std::string> required;
  for (uint16_t slot : obs->required_slots) required.push_back(obs->slot_names[slot]);
  EXPECT_EQ(required, (std::vector<std::string>{"status", "code"}));
}

TEST(Definitions, ModelsBackboneElementsAndContentReferences) {
  const TypeModel* obs = defs().resource("Observation");
  const ElementModel* component = obs->find("component");
  ASSERT_NE(component, nullptr);
  EXPECT_TRUE(component->array);
  ASSERT_NE(component->type, nullptr);
  EXPECT_EQ(component->type->name, "Observation.component");
  EXPECT_NE(component->type->find("valueQuantity"), nullptr);
  EXPECT_NE(component->type->find("modifierExtension"), nullptr);
  // Observation.component.referenceRange -> #Observation.referenceRange
  EXPECT_EQ(component->type->find("referenceRange")->type, obs->find("referenceRange")->type);

  const TypeModel* q = defs().resource("Questionnaire");
  const TypeModel* item = q->find("item")->type;
  ASSERT_NE(item, nullptr);
  EXPECT_EQ(item->find("item")->type, item);  // Questionnaire.item.item -> #Questionnaire.item

  const TypeModel* vs = defs().resource("ValueSet");
  const TypeModel* compose = vs->find("compose")->type;
  EXPECT_EQ(compose->find("exclude")->type, compose->find("include")->type);
}

TEST(Definitions, ModelsDatatypes) {
  const TypeModel* name = defs().type("HumanName");
  ASSERT_NE(name, nullptr);
  EXPECT_FALSE(name->is_resource);
  EXPECT_TRUE(name->find("given")->array);
  EXPECT_EQ(name->find("given")->primitive, PrimitiveKind::String);
  EXPECT_EQ(name->find("period")->type, defs().type("Period"));

  const TypeModel* ext = defs().type("Extension");
  ASSERT_NE(ext, nullptr);
  EXPECT_EQ(ext->find("url")->min, 1u);
  EXPECT_EQ(ext->find("url")->primitive, PrimitiveKind::Uri);
  EXPECT_EQ(ext->find("valueAge")->type, defs().type("Age"));
  EXPECT_EQ(ext->find("extension")->type, ext);

  const TypeModel* narrative = defs().type("Narrative");
  EXPECT_EQ(narrative->find("div")->primitive, PrimitiveKind::Xhtml);
  EXPECT_FALSE(narrative->find("div")->extensible);

  // Resource.id is an id, without a `_id` sibling; Timing.repeat is a nested element of a datatype.
  EXPECT_EQ(defs().resource("Patient")->find("id")->primitive, PrimitiveKind::Id);
  EXPECT_FALSE(defs().resource("Patient")->find("id")->extensible);
  EXPECT_NE(defs().type("Timing")->find("repeat")->type->find("boundsDuration"), nullptr);
  EXPECT_EQ(&defs().element(), defs().type("Element"));
}

TEST(Definitions, ModelsResourceValuedElements) {
  EXPECT_EQ(defs().resource("Patient")->find("contained")->kind, ElementKind::Resource);
  const TypeModel* entry = defs().resource("Bundle")->find("entry")->type;
  EXPECT_EQ(entry->find("resource")->kind, ElementKind::Resource);
  const ElementModel* outcome = entry->find("response")->type->find("outcome");
  EXPECT_EQ(outcome->kind, ElementKind::Resource);
  EXPECT_EQ(outcome->type_code, "OperationOutcome");
}

TEST(Definitions, LoadFailsWithClearMessage) {
  try {
    Definitions::load("/nonexistent/definitions");
    FAIL() << "expected an exception";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("/nonexistent/definitions/profiles-types.json"), std::string::npos);
  }
  auto dir = std::filesystem::temp_directory_path() / "healthd_definitions_test";
  std::filesystem::create_directories(dir);
  std::ofstream(dir / "profiles-types.json") << "{\"resourceType\": \"Bundle\", \"entry\": [";
  try {
    Definitions::load(dir.string());
    FAIL() << "expected an exception";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find("not valid JSON"), std::string::npos) << e.what();
  }
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace healthd::fhir
