// Extraction of index values on hand-written resources, and in-memory matching per type.
#include <gtest/gtest.h>

#include "fhir/definitions.h"
#include "json/json.h"
#include "search/index_values.h"
#include "search/match.h"
#include "search/search_parameters.h"
#include "common/time.h"

namespace search = healthd::search;

namespace {

const search::SearchParameterRegistry& reg() {
  static auto r = search::SearchParameterRegistry::load(HEALTHD_DEFINITIONS_DIR);
  return *r;
}
const healthd::fhir::Definitions* defs() {
  static auto d = healthd::fhir::Definitions::load(HEALTHD_DEFINITIONS_DIR);
  return d.get();
}

struct Res {
  rapidjson::Document doc;
  explicit Res(const char* text) { EXPECT_TRUE(healthd::json::parse(text, doc)) << text; }
  std::string type() const { return doc["resourceType"].GetString(); }
  const search::SearchParam& param(const char* code) const {
    const search::SearchParam* p = reg().find(type(), code);
    EXPECT_NE(p, nullptr) << code;
    return *p;
  }
  search::IndexValues values(const char* code) const {
    healthd::fhirpath::EvalContext ctx;
    ctx.definitions = defs();
    auto v = search::extract(param(code), doc, ctx);
    EXPECT_TRUE(v.ok()) << code << ": " << v.error;
    return v;
  }
  bool match(const char* code, std::string_view mod, std::string_view value, std::string_view base = {}) const {
    search::MatchOptions opt;
    opt.base_url = base;
    opt.now_us = 1714557600000000;  // 2024-05-01T10:00:00Z
    return search::matches(param(code), values(code), mod, value, opt);
  }
};

const char* kPatient = R"({
  "resourceType": "Patient", "id": "p1", "active": true, "gender": "female", "birthDate": "1974-12",
  "meta": {"lastUpdated": "2024-01-02T03:04:05.678Z", "tag": [{"system": "http://t.org", "code": "vip"}],
           "profile": ["http://hl7.org/fhir/us/core/StructureDefinition/us-core-patient"]},
  "identifier": [{"system": "http://hospital.org/mrn", "value": "MRN-1",
                  "type": {"coding": [{"system": "http://terminology.hl7.org/CodeSystem/v2-0203", "code": "MR"}], "text": "Medical record number"}}],
  "name": [{"family": "Müller-Łukasiewicz", "given": ["Zoë", "Ana"], "prefix": ["Dr."], "text": "Dr. Zoë Müller"}],
  "telecom": [{"system": "phone", "value": "555-1234", "use": "home"}, {"system": "email", "value": "zoe@example.org"}],
  "address": [{"line": ["12 Rue de l'Église"], "city": "Besançon", "postalCode": "25000", "country": "FR"}],
  "generalPractitioner": [{"reference": "Practitioner/dr1"}, {"reference": "https://h.example/fhir/Organization/o2/_history/3"},
                          {"reference": "https://other.org/fhir/Organization/o9"}],
  "managingOrganization": {"reference": "#org", "display": "Contained"},
  "contained": [{"resourceType": "Organization", "id": "org", "name": "Inner"}]
})";

const char* kObservation = R"({
  "resourceType": "Observation", "id": "o1", "status": "final",
  "category": [{"coding": [{"system": "http://terminology.hl7.org/CodeSystem/observation-category", "code": "laboratory", "display": "Laboratory"}]}],
  "code": {"coding": [{"system": "http://loinc.org", "code": "29463-7", "display": "Body weight"}], "text": "Weight"},
  "subject": {"reference": "Patient/p1/_history/2"},
  "effectivePeriod": {"start": "2021-03-04", "end": "2021-03-06T10:00:00Z"},
  "issued": "2021-03-06T10:00:00.123Z",
  "valueQuantity": {"value": 72.5, "unit": "kg", "system": "http://unitsofmeasure.org", "code": "kg"},
  "component": [
    {"code": {"coding": [{"system": "http://loinc.org", "code": "8480-6"}]}, "valueQuantity": {"value": 120, "system": "http://unitsofmeasure.org", "code": "mm[Hg]"}},
    {"code": {"coding": [{"system": "http://loinc.org", "code": "8462-4"}]}, "valueQuantity": {"value": 80, "system": "http://unitsofmeasure.org", "code": "mm[Hg]"}}]
})";

}  // namespace

TEST(SearchNormalize, CaseAndAccents) {
  EXPECT_EQ(search::normalize_string("Müller"), "muller");
  EXPECT_EQ(search::normalize_string("ŁUKASIEWICZ Ærø Straße"), "lukasiewicz aero strasse");
  EXPECT_EQ(search::normalize_string("Zoe\xCC\x88"), "zoe");  // combining diaeresis (NFD)
  EXPECT_EQ(search::normalize_string("Ελλάδα ПРИВЕТ"), "ελλαδα привет");  // Greek tonos is an accent too
}

TEST(SearchExtract, StringsFromHumanNameAndAddress) {
  Res p(kPatient);
  auto name = p.values("name");
  std::vector<std::string> norm;
  for (const auto& s : name.strings) norm.push_back(s.normalized);
  EXPECT_EQ(norm, (std::vector<std::string>{"dr. zoe muller", "muller-lukasiewicz", "zoe", "ana", "dr."}));
  auto addr = p.values("address");
  ASSERT_GE(addr.strings.size(), 4u);
  EXPECT_EQ(addr.strings[0].normalized, "12 rue de l'eglise");
  EXPECT_EQ(addr.strings[1].original, "Besançon");
  EXPECT_EQ(addr.strings[1].normalized, "besancon");
}

TEST(SearchExtract, Tokens) {
  Res p(kPatient);
  auto id = p.values("identifier");
  ASSERT_EQ(id.tokens.size(), 1u);
  EXPECT_EQ(id.tokens[0].system, "http://hospital.org/mrn");
  EXPECT_EQ(id.tokens[0].code, "MRN-1");
  ASSERT_EQ(id.of_type.size(), 1u);
  EXPECT_EQ(id.of_type[0].type_code, "MR");
  EXPECT_EQ(id.texts, (std::vector<std::string>{"medical record number"}));
  auto gender = p.values("gender");
  ASSERT_EQ(gender.tokens.size(), 1u);
  EXPECT_FALSE(gender.tokens[0].has_system);
  EXPECT_EQ(gender.tokens[0].code, "female");
  auto active = p.values("active");
  ASSERT_EQ(active.tokens.size(), 1u);
  EXPECT_EQ(active.tokens[0].code, "true");
  auto phone = p.values("phone");
  ASSERT_EQ(phone.tokens.size(), 1u);
  EXPECT_EQ(phone.tokens[0].code, "555-1234");
  auto tag = p.values("_tag");
  ASSERT_EQ(tag.tokens.size(), 1u);
  EXPECT_EQ(tag.tokens[0].code, "vip");
  auto pid = p.values("_id");
  ASSERT_EQ(pid.tokens.size(), 1u);
  EXPECT_EQ(pid.tokens[0].code, "p1");

  Res o(kObservation);
  auto code = o.values("code");
  ASSERT_EQ(code.tokens.size(), 1u);
  EXPECT_EQ(code.tokens[0].system, "http://loinc.org");
  EXPECT_EQ(code.tokens[0].code, "29463-7");
  EXPECT_EQ(code.texts, (std::vector<std::string>{"body weight", "weight"}));
}

TEST(SearchExtract, References) {
  Res p(kPatient);
  auto gp = p.values("general-practitioner");
  ASSERT_EQ(gp.references.size(), 3u);
  EXPECT_EQ(gp.references[0].key(), "Practitioner/dr1");
  EXPECT_FALSE(gp.references[0].absolute);
  EXPECT_TRUE(gp.references[1].absolute);
  EXPECT_EQ(gp.references[1].url, "https://h.example/fhir/Organization/o2/_history/3");
  EXPECT_EQ(gp.references[1].version, "3");
  EXPECT_EQ(gp.references[1].local_key("https://h.example/fhir"), "Organization/o2");
  EXPECT_EQ(gp.references[2].local_key("https://h.example/fhir"), std::nullopt);
  auto org = p.values("organization");
  ASSERT_EQ(org.references.size(), 1u);
  EXPECT_TRUE(org.references[0].contained);
  EXPECT_EQ(org.references[0].type, "Organization");
  EXPECT_EQ(org.references[0].key(), "#org");

  Res o(kObservation);
  auto subject = o.values("subject");
  ASSERT_EQ(subject.references.size(), 1u);
  EXPECT_EQ(subject.references[0].key(), "Patient/p1");
  EXPECT_EQ(subject.references[0].version, "2");
  auto patient = o.values("patient");  // subject.where(resolve() is Patient)
  ASSERT_EQ(patient.references.size(), 1u);

  Res q(R"({"resourceType": "Questionnaire", "id": "q", "status": "active",
            "derivedFrom": ["http://q.org/Questionnaire/base|2.0"]})");
  auto derived = q.values("definition");  // item.definition: none
  EXPECT_TRUE(derived.empty());
  Res qr(R"({"resourceType": "QuestionnaireResponse", "status": "completed",
             "questionnaire": "http://q.org/Questionnaire/phq9|3.1"})");
  auto canon = qr.values("questionnaire");
  ASSERT_EQ(canon.references.size(), 1u);
  EXPECT_TRUE(canon.references[0].canonical);
  EXPECT_EQ(canon.references[0].url, "http://q.org/Questionnaire/phq9");
  EXPECT_EQ(canon.references[0].version, "3.1");
}

TEST(SearchExtract, DatesWithPrecision) {
  Res p(kPatient);
  auto bd = p.values("birthdate");
  ASSERT_EQ(bd.dates.size(), 1u);
  EXPECT_EQ(bd.dates[0].start_us, healthd::parse_fhir_datetime_range("1974-12-01")->start_us);
  EXPECT_EQ(bd.dates[0].end_us, healthd::parse_fhir_datetime_range("1975-01-01")->start_us);
  auto lu = p.values("_lastUpdated");
  ASSERT_EQ(lu.dates.size(), 1u);
  EXPECT_EQ(lu.dates[0].end_us - lu.dates[0].start_us, 1000);  // millisecond precision

  Res o(kObservation);
  auto date = o.values("date");
  ASSERT_EQ(date.dates.size(), 1u);
  EXPECT_EQ(date.dates[0].start_us, healthd::parse_fhir_datetime_range("2021-03-04")->start_us);
  EXPECT_EQ(date.dates[0].end_us, healthd::parse_fhir_datetime_range("2021-03-06T10:00:00Z")->end_us);

  Res open(R"({"resourceType": "Encounter", "status": "in-progress", "class": {"code": "AMB"},
               "period": {"start": "2024-04-30T08:00:00Z"}})");
  auto ed = open.values("date");
  ASSERT_EQ(ed.dates.size(), 1u);
  EXPECT_EQ(ed.dates[0].end_us, search::DateRange::kMax);
}

TEST(SearchExtract, QuantityNumberAndComposite) {
  Res o(kObservation);
  auto vq = o.values("value-quantity");
  ASSERT_EQ(vq.quantities.size(), 2u);  // as given, and its canonical twin 72500 g
  EXPECT_FALSE(vq.quantities[0].canonical);
  EXPECT_TRUE(vq.quantities[1].canonical);
  EXPECT_EQ(vq.quantities[1].code, "g");
  EXPECT_DOUBLE_EQ(vq.quantities[1].value, 72500);
  EXPECT_DOUBLE_EQ(vq.quantities[0].value, 72.5);
  EXPECT_DOUBLE_EQ(vq.quantities[0].low, 72.45);
  EXPECT_DOUBLE_EQ(vq.quantities[0].high, 72.55);
  EXPECT_EQ(vq.quantities[0].code, "kg");
  EXPECT_EQ(vq.quantities[0].system, "http://unitsofmeasure.org");

  auto cvq = o.values("component-code-value-quantity");
  ASSERT_EQ(cvq.composites.size(), 2u);
  ASSERT_EQ(cvq.composites[0].size(), 2u);
  EXPECT_EQ(cvq.composites[0][0].tokens[0].code, "8480-6");
  EXPECT_DOUBLE_EQ(cvq.composites[0][1].quantities[0].value, 120);
  EXPECT_EQ(cvq.composites[1][0].tokens[0].code, "8462-4");

  double v, lo, hi;
  ASSERT_TRUE(search::decimal_range("100", v, lo, hi));
  EXPECT_DOUBLE_EQ(lo, 99.5);
  EXPECT_DOUBLE_EQ(hi, 100.5);
  ASSERT_TRUE(search::decimal_range("1e2", v, lo, hi));
  EXPECT_DOUBLE_EQ(lo, 50);
  EXPECT_DOUBLE_EQ(hi, 150);
  ASSERT_TRUE(search::decimal_range("1.50", v, lo, hi));
  EXPECT_NEAR(lo, 1.495, 1e-12);

  Res ra(R"({"resourceType": "RiskAssessment", "status": "final", "subject": {"reference": "Patient/p1"},
             "prediction": [{"probabilityDecimal": 0.25}]})");
  auto prob = ra.values("probability");
  ASSERT_EQ(prob.numbers.size(), 1u);
  EXPECT_DOUBLE_EQ(prob.numbers[0].value, 0.25);
}

TEST(SearchMatch, StringAndToken) {
  Res p(kPatient);
  EXPECT_TRUE(p.match("name", "", "mull"));
  EXPECT_TRUE(p.match("name", "", "MÜLLER"));
  EXPECT_TRUE(p.match("name", "", "xyz,zo"));  // OR
  EXPECT_FALSE(p.match("name", "", "uller"));
  EXPECT_TRUE(p.match("name", "contains", "uller"));
  EXPECT_TRUE(p.match("name", "exact", "Zoë"));
  EXPECT_FALSE(p.match("name", "exact", "Zoe"));
  EXPECT_TRUE(p.match("address-city", "", "besan"));
  EXPECT_TRUE(p.match("name", "missing", "false"));
  EXPECT_FALSE(p.match("name", "missing", "true"));
  EXPECT_TRUE(p.match("deceased", "", "false"));  // `deceased.exists() and deceased != false` is false

  EXPECT_TRUE(p.match("identifier", "", "http://hospital.org/mrn|MRN-1"));
  EXPECT_TRUE(p.match("identifier", "", "MRN-1"));
  EXPECT_TRUE(p.match("identifier", "", "http://hospital.org/mrn|"));
  EXPECT_FALSE(p.match("identifier", "", "|MRN-1"));  // has a system
  EXPECT_FALSE(p.match("identifier", "", "http://other|MRN-1"));
  EXPECT_TRUE(p.match("identifier", "of-type", "http://terminology.hl7.org/CodeSystem/v2-0203|MR|MRN-1"));
  EXPECT_TRUE(p.match("identifier", "text", "medical rec"));
  EXPECT_TRUE(p.match("gender", "", "|female"));
  EXPECT_TRUE(p.match("gender", "", "female"));
  EXPECT_FALSE(p.match("gender", "", "male"));
  EXPECT_TRUE(p.match("gender", "not", "male"));
  EXPECT_FALSE(p.match("gender", "not", "male,female"));
  EXPECT_TRUE(p.match("active", "", "true"));
  EXPECT_TRUE(p.match("_tag", "", "http://t.org|vip"));
  EXPECT_TRUE(p.match("telecom", "", "email|zoe@example.org"));

  Res o(kObservation);
  EXPECT_TRUE(o.match("category", "", "http://terminology.hl7.org/CodeSystem/observation-category|laboratory"));
  EXPECT_FALSE(o.match("category", "", "http://terminology.hl7.org/CodeSystem/observation-category|vital-signs"));
  EXPECT_TRUE(o.match("code", "text", "weig"));
  EXPECT_TRUE(o.match("code", "text", "body"));
  EXPECT_FALSE(o.match("code", "text", "height"));
  EXPECT_FALSE(o.match("code", "above", "x"));  // unsupported modifier
}

TEST(SearchMatch, References) {
  Res p(kPatient);
  const char* base = "https://h.example/fhir";
  EXPECT_TRUE(p.match("general-practitioner", "", "Practitioner/dr1"));
  EXPECT_TRUE(p.match("general-practitioner", "", "dr1"));
  EXPECT_TRUE(p.match("general-practitioner", "Practitioner", "dr1"));
  EXPECT_FALSE(p.match("general-practitioner", "Organization", "dr1"));
  EXPECT_FALSE(p.match("general-practitioner", "", "Organization/dr1"));
  EXPECT_TRUE(p.match("general-practitioner", "", "https://other.org/fhir/Organization/o9"));
  EXPECT_FALSE(p.match("general-practitioner", "", "Organization/o9", base));  // another server
  EXPECT_TRUE(p.match("general-practitioner", "", "Organization/o2", base));  // this server, versioned
  EXPECT_FALSE(p.match("general-practitioner", "", "Organization/o2"));  // base unknown
  EXPECT_TRUE(p.match("general-practitioner", "", "https://h.example/fhir/Organization/o2"));
  EXPECT_TRUE(p.match("general-practitioner", "", "https://h.example/fhir/Practitioner/dr1", base));
  EXPECT_TRUE(p.match("general-practitioner", "", "Organization/o2/_history/3", base));
  EXPECT_FALSE(p.match("general-practitioner", "", "Organization/o2/_history/4", base));

  Res o(kObservation);
  EXPECT_TRUE(o.match("subject", "", "Patient/p1"));
  EXPECT_TRUE(o.match("patient", "", "p1"));
  EXPECT_TRUE(o.match("subject", "", "Patient/p1/_history/2"));
  EXPECT_FALSE(o.match("subject", "", "Patient/p2"));
  EXPECT_TRUE(o.match("subject", "missing", "false"));
  EXPECT_TRUE(o.match("subject", "not", "Patient/p2"));

  Res qr(R"({"resourceType": "QuestionnaireResponse", "status": "completed",
             "questionnaire": "http://q.org/Questionnaire/phq9|3.1"})");
  EXPECT_TRUE(qr.match("questionnaire", "", "http://q.org/Questionnaire/phq9"));
  EXPECT_TRUE(qr.match("questionnaire", "", "http://q.org/Questionnaire/phq9|3.1"));
  EXPECT_FALSE(qr.match("questionnaire", "", "http://q.org/Questionnaire/phq9|3.2"));
}

TEST(SearchMatch, DatesWithPrefixes) {
  Res p(kPatient);  // birthDate 1974-12 = [1974-12-01, 1975-01-01)
  EXPECT_TRUE(p.match("birthdate", "", "1974"));
  EXPECT_TRUE(p.match("birthdate", "", "1974-12"));
  EXPECT_FALSE(p.match("birthdate", "", "1974-12-25"));  // search range does not contain the month
  EXPECT_TRUE(p.match("birthdate", "", "eq1974"));
  EXPECT_TRUE(p.match("birthdate", "", "ne1975"));
  EXPECT_TRUE(p.match("birthdate", "", "gt1974-12-15"));
  EXPECT_TRUE(p.match("birthdate", "", "lt1974-12-15"));
  EXPECT_TRUE(p.match("birthdate", "", "ge1974-12"));
  EXPECT_TRUE(p.match("birthdate", "", "le1974-12"));
  EXPECT_FALSE(p.match("birthdate", "", "gt1975"));
  EXPECT_FALSE(p.match("birthdate", "", "lt1974"));
  EXPECT_TRUE(p.match("birthdate", "", "sa1974-11"));
  EXPECT_FALSE(p.match("birthdate", "", "sa1974-12-15"));
  EXPECT_TRUE(p.match("birthdate", "", "eb1975-01-01"));
  EXPECT_FALSE(p.match("birthdate", "", "eb1974-12-31"));
  EXPECT_TRUE(p.match("birthdate", "", "ap1974-11"));  // 10% of ~50 years around
  EXPECT_TRUE(p.match("_lastUpdated", "", "ge2024-01-01"));
  EXPECT_TRUE(p.match("_lastUpdated", "", "2024-01-02T03:04:05.678Z"));
  EXPECT_FALSE(p.match("birthdate", "", "notadate"));

  Res o(kObservation);  // effectivePeriod [2021-03-04, 2021-03-06T10:00:01Z)
  EXPECT_TRUE(o.match("date", "", "2021-03"));
  EXPECT_FALSE(o.match("date", "", "2021-03-05"));
  EXPECT_TRUE(o.match("date", "", "gt2021-03-05"));
  EXPECT_TRUE(o.match("date", "", "lt2021-03-05"));
  EXPECT_TRUE(o.match("date", "", "ge2021-03-04,eq2030"));
  EXPECT_FALSE(o.match("date", "", "gt2021-04"));
}

TEST(SearchMatch, NumberQuantityComposite) {
  Res o(kObservation);  // 72.5 kg
  EXPECT_TRUE(o.match("value-quantity", "", "72.5"));
  EXPECT_TRUE(o.match("value-quantity", "", "72.5|http://unitsofmeasure.org|kg"));
  EXPECT_TRUE(o.match("value-quantity", "", "72.5||kg"));
  EXPECT_FALSE(o.match("value-quantity", "", "72.5|http://unitsofmeasure.org|g"));
  // UCUM units convert: 72.5 kg is 72500 g and 0.0725 t; a unit-less query sees the value as given.
  EXPECT_TRUE(o.match("value-quantity", "", "72500|http://unitsofmeasure.org|g"));
  EXPECT_TRUE(o.match("value-quantity", "", "0.0725|http://unitsofmeasure.org|t"));
  EXPECT_TRUE(o.match("value-quantity", "", "gt159|http://unitsofmeasure.org|[lb_av]"));
  EXPECT_FALSE(o.match("value-quantity", "", "gt160|http://unitsofmeasure.org|[lb_av]"));
  EXPECT_FALSE(o.match("value-quantity", "", "72.5|http://unitsofmeasure.org|m"));
  EXPECT_FALSE(o.match("value-quantity", "", "72500"));
  EXPECT_TRUE(o.match("value-quantity", "", "73"));  // [72.5, 73.5)
  EXPECT_FALSE(o.match("value-quantity", "", "72"));  // [71.5, 72.5)
  EXPECT_TRUE(o.match("value-quantity", "", "gt72"));
  EXPECT_FALSE(o.match("value-quantity", "", "gt72.5"));
  EXPECT_TRUE(o.match("value-quantity", "", "ge72.5"));
  EXPECT_TRUE(o.match("value-quantity", "", "lt100||kg"));
  EXPECT_TRUE(o.match("value-quantity", "", "le72.5"));
  EXPECT_TRUE(o.match("value-quantity", "", "ne80"));
  EXPECT_TRUE(o.match("value-quantity", "", "ap70"));
  EXPECT_FALSE(o.match("value-quantity", "", "ap60"));

  EXPECT_TRUE(o.match("component-code-value-quantity", "", "http://loinc.org|8480-6$gt100"));
  EXPECT_TRUE(o.match("component-code-value-quantity", "", "8462-4$80|http://unitsofmeasure.org|mm[Hg]"));
  EXPECT_FALSE(o.match("component-code-value-quantity", "", "http://loinc.org|8480-6$lt100"));  // not the 80 one
  EXPECT_FALSE(o.match("component-code-value-quantity", "", "http://loinc.org|8480-6"));  // 1 part of 2

  Res ra(R"({"resourceType": "RiskAssessment", "status": "final", "subject": {"reference": "Patient/p1"},
             "prediction": [{"probabilityDecimal": 0.25}]})");
  EXPECT_TRUE(ra.match("probability", "", "0.25"));
  EXPECT_TRUE(ra.match("probability", "", "0.3"));  // [0.25, 0.35)
  EXPECT_FALSE(ra.match("probability", "", "0.2"));  // [0.15, 0.25)
  EXPECT_TRUE(ra.match("probability", "", "gt0.2"));
  EXPECT_TRUE(ra.match("probability", "", "le0.25"));
  EXPECT_FALSE(ra.match("probability", "", "lt0.25"));

  Res r(R"({"resourceType": "RiskAssessment", "status": "final", "subject": {"reference": "Patient/p1"},
            "prediction": [{"probabilityRange": {"low": {"value": 0.1}, "high": {"value": 0.4}}}]})");
  EXPECT_TRUE(r.match("probability", "", "0.2"));  // overlaps [0.1, 0.4]
  EXPECT_TRUE(r.match("probability", "", "gt0.3"));
  EXPECT_FALSE(r.match("probability", "", "gt0.5"));
  EXPECT_FALSE(r.match("probability", "", "lt0.1"));
}

TEST(SearchMatch, UriAndEscapes) {
  Res vs(R"({"resourceType": "ValueSet", "status": "active", "url": "http://acme.org/fhir/ValueSet/123"})");
  EXPECT_TRUE(vs.match("url", "", "http://acme.org/fhir/ValueSet/123"));
  EXPECT_FALSE(vs.match("url", "", "http://acme.org/fhir/ValueSet"));
  EXPECT_TRUE(vs.match("url", "below", "http://acme.org/fhir/"));
  EXPECT_TRUE(vs.match("url", "above", "http://acme.org/fhir/ValueSet/123/_history/5"));
  EXPECT_FALSE(vs.match("url", "below", "http://other.org/"));

  auto parts = search::split_escaped("a\\,b,c", ',');
  ASSERT_EQ(parts.size(), 2u);
  EXPECT_EQ(search::unescape(parts[0]), "a,b");
  Res p(R"({"resourceType": "Patient", "name": [{"family": "a,b"}]})");
  EXPECT_TRUE(p.match("family", "", "x,a\\,b"));
}
