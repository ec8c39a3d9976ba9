#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "auth/compartment.h"

#ifndef HEALTHD_DEFINITIONS_DIR
#define HEALTHD_DEFINITIONS_DIR HEALTHD_SOURCE_DIR "/definitions/r4"
#endif

namespace healthd::auth {
namespace {

const std::string kSyntheaDir = "/work/shared/testdata/synthea";

const PatientCompartment& compartment() {
  static const auto loaded = PatientCompartment::load(HEALTHD_DEFINITIONS_DIR);
  return *loaded;
}

json::Document parse(std::string_view text) {
  json::Document doc;
  std::string error;
  EXPECT_TRUE(json::parse(text, doc, &error)) << error;
  return doc;
}

bool in_compartment(std::string_view resource_json, std::string_view patient_id) {
  return compartment().contains(parse(resource_json), patient_id);
}

TEST(Compartment, LoadsEveryR4ExpressionWithoutGaps) {
  for (const auto& gap : compartment().unhandled_expressions()) ADD_FAILURE() << gap;
  EXPECT_THROW(PatientCompartment::load("/nonexistent"), std::runtime_error);
}

TEST(Compartment, TypesAndParams) {
  const auto& c = compartment();
  EXPECT_TRUE(c.type_in_compartment("Observation"));
  EXPECT_TRUE(c.type_in_compartment("Patient"));
  EXPECT_TRUE(c.type_in_compartment("Encounter"));
  EXPECT_FALSE(c.type_in_compartment("Organization"));
  EXPECT_FALSE(c.type_in_compartment("Practitioner"));
  EXPECT_FALSE(c.type_in_compartment("Device"));  // listed without params in R4
  EXPECT_FALSE(c.type_in_compartment("Unicorn"));
  EXPECT_EQ(c.params("Observation"), (std::vector<std::string>{"subject", "performer"}));
  EXPECT_EQ(c.params("AllergyIntolerance"), (std::vector<std::string>{"patient", "recorder", "asserter"}));
  EXPECT_EQ(c.params("Patient"), (std::vector<std::string>{"link"}));
  EXPECT_TRUE(c.params("Organization").empty());
}

TEST(Compartment, ObservationBySubject) {
  const char* obs = R"({"resourceType":"Observation","id":"o1","subject":{"reference":"Patient/1"}})";
  EXPECT_TRUE(in_compartment(obs, "1"));
  EXPECT_FALSE(in_compartment(obs, "2"));
  EXPECT_FALSE(in_compartment(obs, ""));
}

TEST(Compartment, ObservationByPerformerArray) {
  const char* obs = R"({"resourceType":"Observation","subject":{"reference":"Group/g"},
      "performer":[{"reference":"Practitioner/p"},{"reference":"Patient/7"}]})";
  EXPECT_TRUE(in_compartment(obs, "7"));
  EXPECT_FALSE(in_compartment(obs, "p"));
  EXPECT_FALSE(in_compartment(obs, "g"));
}

TEST(Compartment, PatientItselfAndLinks) {
  EXPECT_TRUE(in_compartment(R"({"resourceType":"Patient","id":"1"})", "1"));
  EXPECT_FALSE(in_compartment(R"({"resourceType":"Patient","id":"1"})", "2"));
  EXPECT_TRUE(in_compartment(R"({"resourceType":"Patient","id":"2","link":[{"other":{"reference":"Patient/1"},"type":"seealso"}]})", "1"));
}

TEST(Compartment, Encounter) {
  const char* enc = R"({"resourceType":"Encounter","id":"e","subject":{"reference":"Patient/abc"},
      "participant":[{"individual":{"reference":"Patient/other"}}]})";
  EXPECT_TRUE(in_compartment(enc, "abc"));
  EXPECT_FALSE(in_compartment(enc, "other"));  // participant.individual is not a compartment path
}

TEST(Compartment, AbsoluteAndVersionedReferences) {
  EXPECT_TRUE(in_compartment(R"({"resourceType":"Observation","subject":{"reference":"https://fhir.example.com/Patient/1"}})", "1"));
  EXPECT_TRUE(in_compartment(R"({"resourceType":"Observation","subject":{"reference":"Patient/1/_history/3"}})", "1"));
  EXPECT_TRUE(in_compartment(R"({"resourceType":"Observation","subject":{"reference":"https://x/fhir/Patient/1/_history/3"}})", "1"));
  EXPECT_FALSE(in_compartment(R"({"resourceType":"Observation","subject":{"reference":"Patient/12"}})", "1"));
  EXPECT_FALSE(in_compartment(R"({"resourceType":"Observation","subject":{"reference":"Group/1"}})", "1"));
  EXPECT_FALSE(in_compartment(R"({"resourceType":"Observation","subject":{"reference":"https://x/Group/1"}})", "1"));
}

TEST(Compartment, ReferencesThatNameNoPatientNeverCount) {
  EXPECT_FALSE(in_compartment(R"({"resourceType":"Observation","subject":{"reference":"#1"}})", "1"));
  EXPECT_FALSE(in_compartment(R"({"resourceType":"Observation","subject":{"reference":"Patient?identifier=a/Patient/1"}})", "1"));
  EXPECT_FALSE(in_compartment(R"({"resourceType":"Observation","subject":{"identifier":{"value":"1"},"type":"Patient"}})", "1"));
  EXPECT_FALSE(in_compartment(R"({"resourceType":"Observation","subject":"Patient/1"})", "1"));
  EXPECT_FALSE(in_compartment(R"({"resourceType":"Observation","note":[{"authorReference":{"reference":"Patient/1"}}]})", "1"));
  EXPECT_FALSE(in_compartment(R"({"subject":{"reference":"Patient/1"}})", "1"));  // no resourceType
  EXPECT_FALSE(in_compartment(R"({"resourceType":"Organization","id":"1","partOf":{"reference":"Patient/1"}})", "1"));
}

TEST(Compartment, WhereResolveIsPatientFiltersByReferenceType) {
  // Condition.patient = Condition.subject.where(resolve() is Patient); asserter is a plain path.
  EXPECT_TRUE(in_compartment(R"({"resourceType":"Condition","subject":{"reference":"Patient/1"}})", "1"));
  EXPECT_TRUE(in_compartment(R"({"resourceType":"Task","for":{"reference":"Patient/1"}})", "1"));
  EXPECT_FALSE(in_compartment(R"({"resourceType":"Task","for":{"reference":"Group/1"}})", "1"));
  EXPECT_TRUE(in_compartment(R"({"resourceType":"Provenance","target":[{"reference":"Observation/9"},{"reference":"Patient/1/_history/1"}]})", "1"));
  EXPECT_TRUE(in_compartment(R"({"resourceType":"AuditEvent","agent":[{"who":{"reference":"Practitioner/x"}}],"entity":[{"what":{"reference":"Patient/1"}}]})", "1"));
}

TEST(Compartment, NestedPaths) {
  EXPECT_TRUE(in_compartment(R"({"resourceType":"Appointment","participant":[{"actor":{"reference":"Practitioner/p"}},{"actor":{"reference":"Patient/1"}}]})", "1"));
  EXPECT_TRUE(in_compartment(R"({"resourceType":"CarePlan","subject":{"reference":"Group/g"},"activity":[{"detail":{"performer":[{"reference":"Patient/1"}]}}]})", "1"));
  EXPECT_TRUE(in_compartment(R"({"resourceType":"Claim","patient":{"reference":"Patient/2"},"payee":{"party":{"reference":"Patient/1"}}})", "1"));
  EXPECT_TRUE(in_compartment(R"({"resourceType":"AllergyIntolerance","patient":{"reference":"Patient/1"}})", "1"));
  EXPECT_TRUE(in_compartment(R"({"resourceType":"Coverage","beneficiary":{"reference":"Patient/1"}})", "1"));
  EXPECT_TRUE(in_compartment(R"({"resourceType":"SupplyRequest","deliverTo":{"reference":"Patient/1"}})", "1"));
}

// ---- the evaluator on forms R4 does not use (yet) ----

using PE = PatientCompartment::ParamExpression;

TEST(CompartmentEvaluator, ChoiceElementsAndAsReference) {
  auto c = PatientCompartment::from_expressions({
      {"Observation", "focus-ref", "(Observation.value as Reference)"},
      {"Basic", "x", "Basic.extension.value.as(Reference)"},
      {"Task", "y", "Task.input.value.ofType(Reference).where(resolve() is Patient)"},
      {"Flag", "z", "Flag.author as Reference"},
  });
  EXPECT_TRUE(c->unhandled_expressions().empty());
  EXPECT_TRUE(c->contains(parse(R"({"resourceType":"Observation","valueReference":{"reference":"Patient/1"}})"), "1"));
  EXPECT_FALSE(c->contains(parse(R"({"resourceType":"Observation","valueString":"Patient/1"})"), "1"));
  EXPECT_FALSE(c->contains(parse(R"({"resourceType":"Observation","valueCodeableConcept":{"reference":"Patient/1"}})"), "1"));
  EXPECT_FALSE(c->contains(parse(R"({"resourceType":"Observation","values":{"reference":"Patient/1"}})"), "1"));
  EXPECT_TRUE(c->contains(parse(R"({"resourceType":"Basic","extension":[{"url":"u","valueString":"a"},{"url":"v","valueReference":{"reference":"Patient/1"}}]})"), "1"));
  EXPECT_TRUE(c->contains(parse(R"({"resourceType":"Task","input":[{"valueReference":{"reference":"Patient/1"}}]})"), "1"));
  EXPECT_FALSE(c->contains(parse(R"({"resourceType":"Task","input":[{"valueReference":{"reference":"Group/1"}}]})"), "1"));
  EXPECT_TRUE(c->contains(parse(R"({"resourceType":"Flag","author":{"reference":"Patient/1"}})"), "1"));
}

TEST(CompartmentEvaluator, ChoiceNamesOnlyWhereATypeIsAsked) {
  // Observation.subject has no "as": a "subjectFoo" member must not stand in for it.
  EXPECT_FALSE(in_compartment(R"({"resourceType":"Observation","subjectReference":{"reference":"Patient/1"}})", "1"));
}

TEST(CompartmentEvaluator, UnionPartsForOtherTypesAreIgnored) {
  auto c = PatientCompartment::from_expressions(
      {{"Condition", "patient", "AllergyIntolerance.patient | Condition.subject.where(resolve() is Patient) | Consent.patient"}});
  EXPECT_TRUE(c->unhandled_expressions().empty());
  EXPECT_TRUE(c->contains(parse(R"({"resourceType":"Condition","subject":{"reference":"Patient/1"}})"), "1"));
  EXPECT_FALSE(c->contains(parse(R"({"resourceType":"Condition","patient":{"reference":"Patient/1"}})"), "1"));
  EXPECT_FALSE(c->type_in_compartment("AllergyIntolerance"));
}

TEST(CompartmentEvaluator, UnhandledExpressionsAreReportedAndNeverGrant) {
  auto c = PatientCompartment::from_expressions({
      {"Observation", "a", "Observation.subject.resolve()"},
      {"Observation", "b", "Observation.extension('http://x').value"},
      {"Observation", "c", "Observation.subject.where(display = 'x')"},
      {"Observation", "d", ""},
      {"Observation", "e", "Encounter.subject"},
  });
  EXPECT_EQ(c->unhandled_expressions().size(), 5u);
  EXPECT_TRUE(c->type_in_compartment("Observation"));
  EXPECT_EQ(c->params("Observation").size(), 5u);
  EXPECT_FALSE(c->contains(parse(R"({"resourceType":"Observation","subject":{"reference":"Patient/1"},
      "extension":[{"url":"http://x","valueReference":{"reference":"Patient/1"}}]})"), "1"));
  EXPECT_TRUE(c->contains(parse(R"({"resourceType":"Patient","id":"1"})"), "1"));  // only the Patient itself
}

TEST(CompartmentEvaluator, ReferencePointsTo) {
  EXPECT_TRUE(reference_points_to("Patient/1", "Patient", "1"));
  EXPECT_TRUE(reference_points_to("http://a/b/Patient/1/_history/2", "Patient", "1"));
  EXPECT_FALSE(reference_points_to("Patient/1", "Patient", "11"));
  EXPECT_FALSE(reference_points_to("XPatient/1", "Patient", "1"));
  EXPECT_FALSE(reference_points_to("http://a/XPatient/1", "Patient", "1"));
  EXPECT_FALSE(reference_points_to("Patient/1#x", "Patient", "1"));
  EXPECT_FALSE(reference_points_to("1", "Patient", "1"));
  EXPECT_FALSE(reference_points_to("", "Patient", ""));
}

// ---- real data ----

std::string read_text(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Rewrites every "reference" string through the map (urn:uuid:... -> Type/id).
void rewrite_references(json::Value& v, const std::map<std::string, std::string>& map, json::Allocator& a) {
  if (v.IsObject()) {
    for (auto& m : v.GetObject()) {
      if (std::string_view(m.name.GetString()) == "reference" && m.value.IsString()) {
        if (auto it = map.find(m.value.GetString()); it != map.end()) m.value.SetString(it->second.c_str(), a);
      } else {
        rewrite_references(m.value, map, a);
      }
    }
  } else if (v.IsArray()) {
    for (auto& item : v.GetArray()) rewrite_references(item, map, a);
  }
}

// True when any "reference" in v equals target.
bool mentions(const json::Value& v, std::string_view target) {
  if (v.IsObject()) {
    for (const auto& m : v.GetObject()) {
      if (std::string_view(m.name.GetString()) == "reference" && m.value.IsString() &&
          std::string_view(m.value.GetString()) == target)
        return true;
      if (mentions(m.value, target)) return true;
    }
  } else if (v.IsArray()) {
    for (const auto& item : v.GetArray())
      if (mentions(item, target)) return true;
  }
  return false;
}

TEST(Compartment, EverySyntheaResourceThatReferencesItsPatientIsInTheCompartment) {
  const std::filesystem::path dir = kSyntheaDir + "/bundles";
  if (!std::filesystem::exists(dir)) GTEST_SKIP() << dir << " not present";
  size_t bundles = 0, members = 0;
  for (const auto& file : std::filesystem::directory_iterator(dir)) {
    json::Document bundle = parse(read_text(file.path()));
    ASSERT_TRUE(bundle.IsObject() && bundle.HasMember("entry")) << file.path();
    std::map<std::string, std::string> local;  // fullUrl -> Type/id
    std::string patient_id;
    for (const auto& entry : bundle["entry"].GetArray()) {
      const auto& r = entry["resource"];
      local[entry["fullUrl"].GetString()] = std::string(r["resourceType"].GetString()) + "/" + r["id"].GetString();
      if (std::string_view(r["resourceType"].GetString()) == "Patient") patient_id = r["id"].GetString();
    }
    ASSERT_FALSE(patient_id.empty()) << file.path();
    rewrite_references(bundle, local, bundle.GetAllocator());
    ++bundles;
    for (const auto& entry : bundle["entry"].GetArray()) {
      const auto& r = entry["resource"];
      std::string type = r["resourceType"].GetString();
      bool is_patient = type == "Patient";
      bool refers = mentions(r, "Patient/" + patient_id);
      EXPECT_EQ(compartment().contains(r, patient_id), is_patient || refers)
          << file.path().filename() << " " << type << "/" << r["id"].GetString();
      EXPECT_FALSE(compartment().contains(r, "someone-else")) << type;
      if (refers) {
        EXPECT_TRUE(compartment().type_in_compartment(type)) << type;
        ++members;
      }
    }
  }
  EXPECT_EQ(bundles, 20u);
  EXPECT_GT(members, 1000u);
}

TEST(Compartment, SyntheaBulkNdjsonResourcesBelongToTheirPatient) {
  const std::filesystem::path dir = kSyntheaDir + "/ndjson";
  if (!std::filesystem::exists(dir)) GTEST_SKIP() << dir << " not present";
  size_t checked = 0;
  for (std::string type : {"AllergyIntolerance", "Condition", "Encounter", "Immunization", "MedicationRequest",
                           "Procedure", "Device"}) {
    std::istringstream lines(read_text(dir / (type + ".000.ndjson")));
    std::string line;
    while (std::getline(lines, line)) {
      if (line.empty()) continue;
      json::Document r = parse(line);
      // Each of these resources names its patient as subject or patient.
      const char* member = r.HasMember("subject") ? "subject" : "patient";
      std::string_view ref = r[member]["reference"].GetString();
      ASSERT_TRUE(ref.starts_with("Patient/")) << ref;
      std::string id(ref.substr(8));
      // Device.patient is not a compartment param in R4: a Device never belongs to a compartment.
      EXPECT_EQ(compartment().contains(r, id), type != "Device") << type << " " << ref;
      EXPECT_FALSE(compartment().contains(r, id + "x"));
      ++checked;
    }
  }
  EXPECT_GT(checked, 5000u);
}

}  // namespace
}  // namespace healthd::auth
