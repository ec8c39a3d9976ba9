#include "fhir/validator.h"

#include <gtest/gtest.h>

#include <ctime>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "json/json.h"

namespace healthd::fhir {
namespace {

std::shared_ptr<const Definitions> definitions() {
  static std::shared_ptr<const Definitions> d = Definitions::load(HEALTHD_DEFINITIONS_DIR);
  return d;
}

const Validator& validator() {
  static Validator v(definitions());
  return v;
}

std::vector<Issue> validate(std::string_view text) {
  json::Document doc;
  std::string why;
  EXPECT_TRUE(json::parse(text, doc, &why)) << why << "\n" << text;
  return validator().validate(doc);
}

std::string describe(const std::vector<Issue>& issues) {
  std::string out;
  for (const auto& i : issues)
    out += "  [" + i.code + "] " + (i.expression.empty() ? "" : i.expression[0]) + ": " + i.diagnostics + "\n";
  return out;
}

// Expects exactly one issue, with this code and expression.
void expect_issue(std::string_view text, const std::string& code, const std::string& expression) {
  auto issues = validate(text);
  ASSERT_EQ(issues.size(), 1u) << text << "\n" << describe(issues);
  EXPECT_EQ(issues[0].severity, "error");
  EXPECT_EQ(issues[0].code, code) << describe(issues);
  ASSERT_EQ(issues[0].expression.size(), 1u);
  EXPECT_EQ(issues[0].expression[0], expression) << describe(issues);
  EXPECT_FALSE(issues[0].diagnostics.empty());
}

void expect_valid(std::string_view text) {
  auto issues = validate(text);
  EXPECT_TRUE(issues.empty()) << text << "\n" << describe(issues);
}

std::string read(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

const char* kObservation = R"({
  "resourceType": "Observation", "id": "bp-1",
  "meta": {"versionId": "1", "lastUpdated": "2024-01-02T03:04:05.678Z", "tag": [{"system": "http://x.org", "code": "t"}]},
  "text": {"status": "generated", "div": "<div xmlns=\"http://www.w3.org/1999/xhtml\">Blood pressure</div>"},
  "status": "final",
  "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/observation-category", "code": "vital-signs"}]}],
  "code": {"coding": [{"system": "http://loinc.org", "code": "85354-9", "display": "Blood pressure panel"}], "text": "BP"},
  "subject": {"reference": "Patient/p1", "display": "Jane Doe"},
  "encounter": {"reference": "Encounter/e1"},
  "effectiveDateTime": "2012-11-05T06:19:07+00:00",
  "issued": "2012-11-05T06:19:07.542+00:00",
  "performer": [{"reference": "Practitioner/pr1"}],
  "interpretation": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation", "code": "H"}]}],
  "component": [
    {"code": {"coding": [{"system": "http://loinc.org", "code": "8462-4", "display": "Diastolic Blood Pressure"}]},
     "valueQuantity": {"value": 96.4, "unit": "mm[Hg]", "system": "http://unitsofmeasure.org", "code": "mm[Hg]"},
     "referenceRange": [{"low": {"value": 60, "unit": "mm[Hg]"}, "high": {"value": 80, "unit": "mm[Hg]"}}]},
    {"code": {"coding": [{"system": "http://loinc.org", "code": "8480-6", "display": "Systolic Blood Pressure"}]},
     "valueQuantity": {"value": 143.15, "unit": "mm[Hg]", "system": "http://unitsofmeasure.org", "code": "mm[Hg]"}}
  ],
  "extension": [{"url": "http://example.org/ext", "valueAge": {"value": 42, "system": "http://unitsofmeasure.org", "code": "a"}}]
})";

// ---- Real data: every resource of the Synthea sample bundles is valid R4 ----

TEST(Validator, SyntheaBundlesAreValid) {
  std::filesystem::path dir = "/work/shared/testdata/synthea/bundles";
  if (!std::filesystem::exists(dir)) dir = std::filesystem::path(HEALTHD_SOURCE_DIR) / "tests/data/synthea/bundles";
  if (!std::filesystem::exists(dir)) GTEST_SKIP() << "no Synthea bundles at " << dir;
  size_t files = 0, resources = 0;
  std::map<std::string, size_t> by_type;
  for (const auto& f : std::filesystem::directory_iterator(dir)) {
    if (f.path().extension() != ".json") continue;
    json::Document doc;
    ASSERT_TRUE(json::parse(read(f.path()), doc)) << f.path();
    // The whole transaction Bundle, which validates every entry.resource recursively...
    auto issues = validator().validate(doc);
    EXPECT_TRUE(issues.empty()) << f.path() << "\n" << describe(issues);
    // ...and each entry on its own, as a client would PUT it.
    for (const auto& entry : doc["entry"].GetArray()) {
      const auto& r = entry["resource"];
      auto entry_issues = validator().validate(r);
      EXPECT_TRUE(entry_issues.empty()) << f.path() << " " << json::to_string(r).substr(0, 300) << "\n"
                                        << describe(entry_issues);
      ++resources;
      ++by_type[r["resourceType"].GetString()];
    }
    ++files;
  }
  EXPECT_EQ(files, 20u);
  EXPECT_GT(resources, 2000u);
  EXPECT_GE(by_type.size(), 15u);
}

TEST(Validator, SyntheaNdjsonIsValid) {
  std::filesystem::path dir = "/work/shared/testdata/synthea/ndjson";
  if (!std::filesystem::exists(dir)) GTEST_SKIP() << "no Synthea NDJSON at " << dir;
  size_t resources = 0;
  for (const auto& f : std::filesystem::directory_iterator(dir)) {
    if (f.path().extension() != ".ndjson" || f.path().filename() == "log.ndjson") continue;
    std::ifstream in(f.path());
    std::string line;
    while (std::getline(in, line)) {
      if (line.empty()) continue;
      auto issues = validate(line);
      EXPECT_TRUE(issues.empty()) << f.path() << " " << line.substr(0, 200) << "\n" << describe(issues);
      ++resources;
    }
  }
  EXPECT_GT(resources, 1000u);
}

// The official conformance resources (StructureDefinitions with deep ElementDefinitions, SearchParameters,
// ValueSets and CodeSystems) are valid R4 too.
TEST(Validator, OfficialDefinitionsAreValid) {
  size_t resources = 0;
  for (const char* file : {"profiles-types.json", "profiles-resources.json", "search-parameters.json", "valuesets.json"}) {
    json::Document doc;
    ASSERT_TRUE(json::parse(read(std::filesystem::path(HEALTHD_DEFINITIONS_DIR) / file), doc)) << file;
    for (const auto& entry : doc["entry"].GetArray()) {
      auto issues = validator().validate(entry["resource"]);
      EXPECT_TRUE(issues.empty()) << file << " " << entry["fullUrl"].GetString() << "\n" << describe(issues);
      ++resources;
    }
  }
  EXPECT_GT(resources, 2500u);
}

// Prints the cost of one validation; no absolute timing is asserted.
TEST(Validator, ReportsValidationTime) {
  json::Document doc;
  ASSERT_TRUE(json::parse(kObservation, doc));
  std::printf("[ info     ] Observation of %zu bytes\n", json::to_string(doc).size());
  const int n = 20000;
  size_t errors = 0;
  // Thread CPU time: the machine is shared, wall time would count other processes.
  auto cpu_us = [] {
    timespec ts{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
  };
  double start = cpu_us();
  for (int i = 0; i < n; ++i) errors += validator().validate(doc).size();
  std::printf("[ info     ] Validator::validate: %.2f us CPU per Observation\n", (cpu_us() - start) / n);
  EXPECT_EQ(errors, 0u);
}

// ---- Valid shapes ----

TEST(Validator, AcceptsAFullObservation) { expect_valid(kObservation); }

TEST(Validator, AcceptsPrimitiveExtensions) {
  expect_valid(R"({"resourceType": "Patient", "birthDate": "1970-03-30",
    "_birthDate": {"extension": [{"url": "http://hl7.org/fhir/StructureDefinition/patient-birthTime", "valueDateTime": "1970-03-30T14:30:00+01:00"}]}})");
  // A value carried only by its extension.
  expect_valid(R"({"resourceType": "Patient", "_gender": {"id": "g1", "extension": [{"url": "http://x.org/e", "valueCode": "x"}]}})");
  // Primitive arrays aligned with null placeholders.
  expect_valid(R"({"resourceType": "Patient", "name": [{"given": ["Jim", null, "Bob"],
    "_given": [null, {"extension": [{"url": "http://x.org/e", "valueString": "Joe"}]}, {"id": "g3"}]}]})");
  expect_valid(R"({"resourceType": "Patient", "name": [{"_given": [{"id": "a"}, {"id": "b"}]}]})");
  expect_valid(R"({"resourceType": "Observation", "status": "final", "code": {"text": "x"}, "valueString": "v",
    "_valueString": {"id": "s"}, "extension": [{"url": "http://x.org/e", "_url": {"id": "u"}, "valueBoolean": true}]})");
}

TEST(Validator, AcceptsContainedAndNestedResources) {
  expect_valid(R"({"resourceType": "Patient", "contained": [{"resourceType": "Organization", "id": "o1", "name": "Acme"}],
    "managingOrganization": {"reference": "#o1"}})");
  expect_valid(R"({"resourceType": "Bundle", "type": "transaction", "entry": [
    {"fullUrl": "urn:uuid:1b0b3a8a-0a4c-4f3e-9d3b-1c2d3e4f5a6b", "resource": {"resourceType": "Patient", "active": true},
     "request": {"method": "POST", "url": "Patient"}}]})");
  expect_valid(R"({"resourceType": "Bundle", "type": "transaction-response", "entry": [
    {"response": {"status": "400", "outcome": {"resourceType": "OperationOutcome",
      "issue": [{"severity": "error", "code": "invalid"}]}}}]})");
  expect_valid(R"({"resourceType": "Parameters", "parameter": [{"name": "resource", "resource": {"resourceType": "Patient", "id": "x"}},
    {"name": "n", "valueInteger": -5}, {"name": "part", "part": [{"name": "p", "valueBoolean": false}]}]})");
}

TEST(Validator, AcceptsContentReferences) {
  expect_valid(R"({"resourceType": "Questionnaire", "status": "active", "item": [{"linkId": "1", "type": "group",
    "item": [{"linkId": "1.1", "type": "string", "text": "Name?", "item": [{"linkId": "1.1.1", "type": "display"}]}]}]})");
  expect_valid(R"({"resourceType": "ValueSet", "status": "draft", "compose": {
    "include": [{"system": "http://loinc.org"}], "exclude": [{"system": "http://loinc.org", "concept": [{"code": "1-8"}]}]}})");
}

TEST(Validator, AcceptsDatatypeVariants) {
  expect_valid(R"({"resourceType": "Observation", "status": "final", "code": {"text": "x"},
    "valueSampledData": {"origin": {"value": 0}, "period": 10.5, "dimensions": 1, "data": "1 2 3"},
    "effectivePeriod": {"start": "2020", "end": "2020-02-29"}})");
  expect_valid(R"({"resourceType": "MedicationRequest", "status": "active", "intent": "order",
    "subject": {"reference": "Patient/1"}, "medicationCodeableConcept": {"text": "aspirin"},
    "dosageInstruction": [{"timing": {"repeat": {"boundsDuration": {"value": 7, "unit": "d"}, "frequency": 2, "period": 1, "periodUnit": "d",
      "timeOfDay": ["08:00:00", "20:00:00.5"]}}, "doseAndRate": [{"doseQuantity": {"value": 1}}]}]})");
  expect_valid(R"({"resourceType": "Binary", "contentType": "text/plain", "data": "aGVsbG8gd29ybGQ="})");
  expect_valid(R"({"resourceType": "Patient", "id": "A-z.0", "deceasedDateTime": "2020-01-01T00:00:00-05:00",
    "multipleBirthInteger": 2, "identifier": [{"system": "urn:oid:2.16.840.1.113883.4.3", "value": "x"},
    {"system": "urn:uuid:1b0b3a8a-0a4c-4f3e-9d3b-1c2d3e4f5a6b"}]})");
}

// The hand-written format checks, against cases of the R4 regexes.
TEST(PrimitiveFormats, MatchTheSpecRegexes) {
  struct Case {
    PrimitiveKind kind;
    const char* text;
    bool valid;
  };
  const Case cases[] = {
      {PrimitiveKind::Date, "2020", true},          {PrimitiveKind::Date, "2020-02", true},
      {PrimitiveKind::Date, "2020-02-29", true},    {PrimitiveKind::Date, "2019-02-29", false},
      {PrimitiveKind::Date, "2000-02-29", true},    {PrimitiveKind::Date, "1900-02-29", false},
      {PrimitiveKind::Date, "0000", false},         {PrimitiveKind::Date, "202", false},
      {PrimitiveKind::Date, "2020-00", false},      {PrimitiveKind::Date, "2020-04-31", false},
      {PrimitiveKind::Date, "2020-01-01 ", false},  {PrimitiveKind::DateTime, "2020-01", true},
      {PrimitiveKind::DateTime, "2020-01-01T00:00:00Z", true},
      {PrimitiveKind::DateTime, "2020-01-01T23:59:60.123456-14:00", true},
      {PrimitiveKind::DateTime, "2020-01-01T23:59:59+14:30", false},
      {PrimitiveKind::DateTime, "2020-01-01T23:59:60.123456+14:00", true},
      {PrimitiveKind::DateTime, "2020-01-01T23:59:59+13:59", true},
      {PrimitiveKind::DateTime, "2020-01-01T24:00:00Z", false},
      {PrimitiveKind::DateTime, "2020-01-01T10:00:00.Z", false},
      {PrimitiveKind::DateTime, "2020-01-01T10:00:00+0100", false},
      {PrimitiveKind::DateTime, "2020-01T10:00:00Z", false},
      {PrimitiveKind::Instant, "2020-01-01T10:00:00.1Z", true},
      {PrimitiveKind::Instant, "2020-01-01T10:00:00", false},
      {PrimitiveKind::Instant, "2020-01", false},
      {PrimitiveKind::Time, "00:00:00", true},      {PrimitiveKind::Time, "23:59:59.999", true},
      {PrimitiveKind::Time, "12:00", false},        {PrimitiveKind::Time, "12:00:00Z", false},
      {PrimitiveKind::Code, "a b", true},           {PrimitiveKind::Code, "a\tb", true},
      {PrimitiveKind::Code, "a ", false},           {PrimitiveKind::Code, "", false},
      {PrimitiveKind::Id, "a.B-9", true},           {PrimitiveKind::Id, "a_b", false},
      {PrimitiveKind::Uri, "http://x.org/a?b=c", true}, {PrimitiveKind::Uri, "a b", false},
      {PrimitiveKind::Canonical, "http://x.org/SD|1.0", true},
      {PrimitiveKind::Oid, "urn:oid:2.16.840.1", true}, {PrimitiveKind::Oid, "urn:oid:3.1", false},
      {PrimitiveKind::Oid, "urn:oid:1", false},     {PrimitiveKind::Oid, "urn:oid:1.", false},
      {PrimitiveKind::Uuid, "urn:uuid:c757873d-ec9a-4326-a141-556f43239520", true},
      {PrimitiveKind::Uuid, "c757873d-ec9a-4326-a141-556f43239520", false},
      {PrimitiveKind::Base64Binary, "aGk=", true},  {PrimitiveKind::Base64Binary, "aGk=\naGk=", true},
      {PrimitiveKind::Base64Binary, "aGk", false},  {PrimitiveKind::Base64Binary, "a*k=", false},
      {PrimitiveKind::String, " padded ", true},    {PrimitiveKind::String, "", false},
      {PrimitiveKind::Markdown, "# Title", true},
      {PrimitiveKind::Xhtml, "<div xmlns=\"http://www.w3.org/1999/xhtml\">x</div>", true},
      {PrimitiveKind::Xhtml, "<p>x</p>", false},
  };
  for (const auto& c : cases)
    EXPECT_EQ(check_string_format(c.kind, c.text) == nullptr, c.valid)
        << primitive_name(c.kind) << " '" << c.text << "'";
  EXPECT_EQ(check_integer_range(PrimitiveKind::Integer, -2147483648LL), nullptr);
  EXPECT_NE(check_integer_range(PrimitiveKind::Integer, 2147483648LL), nullptr);
  EXPECT_EQ(check_integer_range(PrimitiveKind::UnsignedInt, 0), nullptr);
  EXPECT_NE(check_integer_range(PrimitiveKind::UnsignedInt, -1), nullptr);
  EXPECT_NE(check_integer_range(PrimitiveKind::PositiveInt, 0), nullptr);
  EXPECT_EQ(primitive_kind("positiveInt"), PrimitiveKind::PositiveInt);
  EXPECT_EQ(primitive_kind("Quantity"), std::nullopt);
}

// ---- Negative cases: one issue each, with its code and expression ----

TEST(Validator, RejectsUnknownElement) {
  expect_issue(R"({"resourceType": "Patient", "foo": 1})", "structure", "Patient.foo");
  expect_issue(R"({"resourceType": "Patient", "name": [{"family": "X"}, {"nickname": "Y"}]})", "structure",
               "Patient.name[1].nickname");
  expect_issue(R"({"resourceType": "Patient", "_id": {"id": "x"}})", "structure", "Patient._id");
  expect_issue(R"({"resourceType": "Patient", "name": [{"resourceType": "HumanName"}]})", "structure",
               "Patient.name[0].resourceType");
}

TEST(Validator, RejectsUnknownOrMissingResourceType) {
  expect_issue(R"({"resourceType": "Patientt", "id": "1"})", "structure", "resourceType");
  expect_issue(R"({"resourceType": "DomainResource"})", "structure", "resourceType");
  expect_issue(R"({"id": "1"})", "required", "resourceType");
  expect_issue(R"({"resourceType": 5})", "structure", "resourceType");
  expect_issue(R"({"resourceType": "Attachment", "x": 1})", "structure", "resourceType");  // a datatype
}

TEST(Validator, RejectsWrongJsonShapes) {
  // string where an object is expected
  expect_issue(R"({"resourceType": "Observation", "status": "final", "code": "8480-6"})", "structure", "Observation.code");
  // object where an array is expected
  expect_issue(R"({"resourceType": "Patient", "name": {"family": "X"}})", "structure", "Patient.name");
  // array where a single value is expected
  expect_issue(R"({"resourceType": "Patient", "gender": ["male"]})", "structure", "Patient.gender");
  expect_issue(R"({"resourceType": "Patient", "active": "true"})", "structure", "Patient.active");
  expect_issue(R"({"resourceType": "Patient", "name": [{"given": [1]}]})", "structure", "Patient.name[0].given[0]");
}

TEST(Validator, RejectsBadDatesAndTimes) {
  expect_issue(R"({"resourceType": "Patient", "birthDate": "1970-13-01"})", "value", "Patient.birthDate");
  expect_issue(R"({"resourceType": "Patient", "birthDate": "1970-02-30"})", "value", "Patient.birthDate");
  expect_issue(R"({"resourceType": "Patient", "birthDate": "1970-1-1"})", "value", "Patient.birthDate");
  expect_issue(R"({"resourceType": "Patient", "birthDate": "1970-01-01T00:00:00Z"})", "value", "Patient.birthDate");
  // dateTime with a time but no time zone
  expect_issue(R"({"resourceType": "Observation", "status": "final", "code": {"text": "x"}, "effectiveDateTime": "2020-01-01T10:00:00"})",
               "value", "Observation.effectiveDateTime");
  // instant without seconds
  expect_issue(R"({"resourceType": "Observation", "status": "final", "code": {"text": "x"}, "issued": "2020-01-01T10:00Z"})",
               "value", "Observation.issued");
  expect_issue(R"({"resourceType": "Observation", "status": "final", "code": {"text": "x"}, "issued": "2020-01-01"})",
               "value", "Observation.issued");
  expect_issue(R"({"resourceType": "Patient", "meta": {"lastUpdated": "2020-01-01T10:00:00+15:00"}})", "value",
               "Patient.meta.lastUpdated");
}

TEST(Validator, RejectsBadNumbers) {
  expect_issue(R"({"resourceType": "Patient", "multipleBirthInteger": 3000000000})", "value", "Patient.multipleBirthInteger");
  expect_issue(R"({"resourceType": "Patient", "multipleBirthInteger": 1.5})", "value", "Patient.multipleBirthInteger");
  expect_issue(R"({"resourceType": "Patient", "multipleBirthInteger": "2"})", "structure", "Patient.multipleBirthInteger");
  // positiveInt >= 1, unsignedInt >= 0
  expect_issue(R"({"resourceType": "Observation", "status": "final", "code": {"text": "x"},
    "valueSampledData": {"origin": {"value": 0}, "period": 1, "dimensions": 0}})",
               "value", "Observation.valueSampledData.dimensions");
  // decimal as a string
  expect_issue(R"({"resourceType": "Observation", "status": "final", "code": {"text": "x"}, "valueQuantity": {"value": "1.5"}})",
               "structure", "Observation.valueQuantity.value");
}

TEST(Validator, RejectsMissingRequiredElements) {
  expect_issue(R"({"resourceType": "Observation", "code": {"text": "x"}})", "required", "Observation.status");
  expect_issue(R"({"resourceType": "Patient", "extension": [{"valueString": "x"}]})", "required", "Patient.extension[0].url");
  expect_issue(R"({"resourceType": "Patient", "text": {"status": "generated"}})", "required", "Patient.text.div");
  expect_issue(R"({"resourceType": "Bundle"})", "required", "Bundle.type");
  // required inside a present backbone element
  expect_issue(R"({"resourceType": "Observation", "status": "final", "code": {"text": "x"}, "component": [{"valueString": "x"}]})",
               "required", "Observation.component[0].code");
  auto issues = validate(R"({"resourceType": "Observation"})");
  EXPECT_EQ(issues.size(), 2u) << describe(issues);
}

TEST(Validator, RejectsBadPrimitiveFormats) {
  expect_issue(R"({"resourceType": "Patient", "id": "has space"})", "value", "Patient.id");
  expect_issue(R"({"resourceType": "Patient", "id": "0123456789012345678901234567890123456789012345678901234567890123456789"})",
               "value", "Patient.id");
  expect_issue(R"({"resourceType": "Patient", "gender": " male"})", "value", "Patient.gender");
  expect_issue(R"({"resourceType": "Patient", "identifier": [{"system": "http://a b"}]})", "value", "Patient.identifier[0].system");
  expect_issue(R"({"resourceType": "Patient", "extension": [{"url": "http://x.org/e", "valueOid": "urn:oid:1.02"}]})", "value",
               "Patient.extension[0].valueOid");
  expect_issue(R"({"resourceType": "Patient", "extension": [{"url": "http://x.org/e", "valueUuid": "urn:uuid:1B0B3A8A-0A4C-4F3E-9D3B-1C2D3E4F5A6B"}]})",
               "value", "Patient.extension[0].valueUuid");
  expect_issue(R"({"resourceType": "Patient", "extension": [{"url": "http://x.org/e", "valueTime": "25:00:00"}]})", "value",
               "Patient.extension[0].valueTime");
  expect_issue(R"({"resourceType": "Patient", "extension": [{"url": "http://x.org/e", "valueCode": "a  b"}]})", "value",
               "Patient.extension[0].valueCode");
  expect_issue(R"({"resourceType": "Binary", "contentType": "text/plain", "data": "abc"})", "value", "Binary.data");
  expect_issue(R"({"resourceType": "Patient", "text": {"status": "generated", "div": "just text"}})", "value", "Patient.text.div");
}

TEST(Validator, RejectsEmptyValues) {
  expect_issue(R"({"resourceType": "Patient", "name": [{"family": ""}]})", "value", "Patient.name[0].family");
  expect_issue(R"({"resourceType": "Patient", "name": []})", "structure", "Patient.name");
  expect_issue(R"({"resourceType": "Patient", "name": [{}]})", "structure", "Patient.name[0]");
  expect_issue(R"({"resourceType": "Patient", "gender": null})", "structure", "Patient.gender");
  expect_issue(R"({"resourceType": "Patient", "name": [null]})", "structure", "Patient.name[0]");
  // null in a primitive array without an aligned extension
  expect_issue(R"({"resourceType": "Patient", "name": [{"given": ["a", null]}]})", "structure", "Patient.name[0].given[1]");
}

TEST(Validator, RejectsBadChoiceTypes) {
  expect_issue(R"({"resourceType": "Observation", "status": "final", "code": {"text": "x"}, "valueFoo": 1})", "structure",
               "Observation.valueFoo");
  expect_issue(R"({"resourceType": "Observation", "status": "final", "code": {"text": "x"}, "value": 1})", "structure",
               "Observation.value");
  expect_issue(R"({"resourceType": "Observation", "status": "final", "code": {"text": "x"}, "valueString": "a", "valueBoolean": true})",
               "structure", "Observation.valueBoolean");
  // a JSON key given twice
  expect_issue(R"({"resourceType": "Patient", "gender": "male", "gender": "female"})", "structure", "Patient.gender");
}

TEST(Validator, NamesTheContainedResourceInExpressions) {
  expect_issue(R"({"resourceType": "Patient", "contained": [{"resourceType": "Observation", "id": "o", "code": {"text": "x"}}]})",
               "required", "Patient.contained[0].status");
  expect_issue(R"({"resourceType": "Patient", "contained": [{"resourceType": "Organization", "nme": "x"}]})", "structure",
               "Patient.contained[0].nme");
  expect_issue(R"({"resourceType": "Patient", "contained": [{"resourceType": "Foo"}]})", "structure",
               "Patient.contained[0].resourceType");
  expect_issue(R"({"resourceType": "Bundle", "type": "collection", "entry": [{"resource": {"resourceType": "Patient", "birthDate": "x"}}]})",
               "value", "Bundle.entry[0].resource.birthDate");
  expect_issue(R"({"resourceType": "Bundle", "type": "batch-response", "entry": [{"response": {"status": "200", "outcome": {"resourceType": "Patient"}}}]})",
               "structure", "Bundle.entry[0].response.outcome.resourceType");
}

TEST(Validator, RejectsMisalignedPrimitiveExtensions) {
  expect_issue(R"({"resourceType": "Patient", "_birthDate": "x"})", "structure", "Patient._birthDate");
  expect_issue(R"({"resourceType": "Patient", "_birthDate": {"extension": [{"valueString": "x"}]}})", "required",
               "Patient._birthDate.extension[0].url");
  expect_issue(R"({"resourceType": "Patient", "_birthDate": {"foo": 1}})", "structure", "Patient._birthDate.foo");
  expect_issue(R"({"resourceType": "Patient", "name": [{"given": ["a", "b"], "_given": [{"id": "x"}]}]})", "structure",
               "Patient.name[0]._given");
  expect_issue(R"({"resourceType": "Patient", "name": [{"given": ["a", null], "_given": [{"id": "x"}, null]}]})", "structure",
               "Patient.name[0].given[1]");
  // `_name` only for primitives
  expect_issue(R"({"resourceType": "Patient", "_name": [{"id": "x"}]})", "structure", "Patient._name");
}

TEST(Validator, RejectsNonObjectRoot) {
  json::Document doc;
  ASSERT_TRUE(json::parse("[1]", doc));
  auto issues = validator().validate(doc);
  ASSERT_EQ(issues.size(), 1u);
  EXPECT_EQ(issues[0].code, "structure");
}

TEST(Validator, CapsIssuesAndDepth) {
  std::string many = R"({"resourceType": "Patient")";
  for (int i = 0; i < 300; ++i) many += ",\"x" + std::to_string(i) + "\": 1";
  many += "}";
  EXPECT_EQ(validate(many).size(), Validator::kMaxIssues);

  std::string deep = R"({"resourceType": "Questionnaire", "status": "active", )";
  for (int i = 0; i < 100; ++i) deep += R"("item": [{"linkId": "a", "type": "group", )";
  deep += R"("text": "x")";
  for (int i = 0; i < 100; ++i) deep += "}]";
  deep += "}";
  auto issues = validate(deep);
  ASSERT_EQ(issues.size(), 1u) << describe(issues);
  EXPECT_NE(issues[0].diagnostics.find("nested too deeply"), std::string::npos);
}

}  // namespace
}  // namespace healthd::fhir
