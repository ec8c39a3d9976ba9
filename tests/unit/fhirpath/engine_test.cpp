// Focused tests of the FHIRPath parser and evaluator.
#include <gtest/gtest.h>

#include <fstream>
#include <sstream>
#include <iostream>

#include "fhir/definitions.h"
#include "fhirpath/fhirpath.h"
#include "json/json.h"

namespace fp = healthd::fhirpath;

namespace {

const healthd::fhir::Definitions* defs() {
  static auto d = healthd::fhir::Definitions::load(HEALTHD_DEFINITIONS_DIR);
  return d.get();
}

struct Doc {
  rapidjson::Document doc;
  explicit Doc(const char* text) { EXPECT_TRUE(healthd::json::parse(text, doc)) << text; }
};

fp::Collection eval(const char* expr, const rapidjson::Value& res, bool with_defs = true) {
  std::string err;
  auto e = fp::Expression::parse(expr, &err);
  EXPECT_TRUE(e.has_value()) << expr << ": " << err;
  if (!e) return {};
  fp::EvalContext ctx;
  if (with_defs) ctx.definitions = defs();
  ctx.now = "2024-05-01T10:00:00Z";
  return fp::evaluate(*e, res, ctx);
}

// The result as text: items joined by ", ", or "error".
std::string run(const char* expr, const rapidjson::Value& res, bool with_defs = true) {
  auto c = eval(expr, res, with_defs);
  if (!c.ok()) return "error";
  std::string out;
  for (size_t i = 0; i < c.size(); ++i) out += (i ? ", " : "") + fp::to_string(c[i]);
  return out;
}

const char* kObservation = R"({
  "resourceType": "Observation", "id": "o1", "status": "final",
  "contained": [{"resourceType": "Patient", "id": "p1", "gender": "female"}],
  "code": {"coding": [{"system": "http://loinc.org", "code": "29463-7"}]},
  "subject": {"reference": "Patient/123"},
  "performer": [{"reference": "#p1"}, {"reference": "Practitioner/9"}, {"reference": "http://x.org/fhir/Organization/5/_history/2"}],
  "effectiveDateTime": "2021-03-04T05:06:07+01:00",
  "valueQuantity": {"value": 72.5, "unit": "kg", "system": "http://unitsofmeasure.org", "code": "kg"},
  "extension": [{"url": "http://e.org/a", "valueString": "A"}, {"url": "http://e.org/b", "valueBoolean": true}]
})";

const char* kPatient = R"({
  "resourceType": "Patient", "id": "p", "active": true, "birthDate": "1974-12-25",
  "_birthDate": {"extension": [{"url": "http://hl7.org/fhir/StructureDefinition/patient-birthTime", "valueDateTime": "1974-12-25T14:35:45-05:00"}]},
  "name": [{"family": "Chalmers", "given": ["Peter", "James"]}, {"given": ["Jim"], "_given": [{"id": "g"}]}],
  "deceasedBoolean": false
})";

}  // namespace

TEST(FhirPathParser, PrecedenceAndLiterals) {
  Doc d("{}");
  EXPECT_EQ(run("1 + 2 * 3", d.doc), "7");
  EXPECT_EQ(run("(1 + 2) * 3", d.doc), "9");
  EXPECT_EQ(run("-2.abs()", d.doc), "-2");  // unary minus binds looser than invocation
  EXPECT_EQ(run("7 div 2 + 7 mod 2", d.doc), "4");
  EXPECT_EQ(run("1 | 2 | 1", d.doc), "1, 2");
  EXPECT_EQ(run("1 < 2 = true", d.doc), "true");  // comparison before equality
  EXPECT_EQ(run("true or false and false", d.doc), "true");
  EXPECT_EQ(run("false implies false or true", d.doc), "true");
  EXPECT_EQ(run("'a' + 'b' & {} & 'c'", d.doc), "abc");
  EXPECT_EQ(run("5 'mg'.toString()", d.doc), "5 'mg'");
  EXPECT_EQ(run("@2014-01-25T14:30:14.559+01:00", d.doc), "2014-01-25T14:30:14.559+01:00");
  EXPECT_EQ(run("@T14:30", d.doc), "14:30");
  EXPECT_EQ(run("%ucum", d.doc), "http://unitsofmeasure.org");
  EXPECT_EQ(run("%vs-administrative-gender", d.doc), "http://hl7.org/fhir/ValueSet/administrative-gender");
  EXPECT_EQ(run("(1 | 2 | 3).where($this > 1).select($this * $index)", d.doc), "0, 3");
  EXPECT_EQ(run("(1 | 2 | 3).aggregate($this + $total, 0)", d.doc), "6");
}

TEST(FhirPathParser, ErrorsHavePositions) {
  std::string err;
  EXPECT_FALSE(fp::Expression::parse("Patient.name.where(", &err));
  EXPECT_NE(err.find("column"), std::string::npos) << err;
  EXPECT_FALSE(fp::Expression::parse("Patient.\n  foo(1)", &err));
  EXPECT_NE(err.find("unknown function 'foo' at line 2, column 3"), std::string::npos) << err;
  EXPECT_FALSE(fp::Expression::parse("1 + 'unterminated", &err));
  EXPECT_FALSE(fp::Expression::parse("2 + 2 /* open", &err));
  EXPECT_FALSE(fp::Expression::parse("substring()", &err));
  EXPECT_NE(err.find("wrong number of arguments"), std::string::npos) << err;
}

TEST(FhirPathEval, EvaluationErrorsAreResultsNotThrows) {
  Doc d(kPatient);
  auto c = eval("Patient.name.given.single()", d.doc);
  EXPECT_FALSE(c.ok());
  EXPECT_NE(c.error.find("single"), std::string::npos);
  EXPECT_EQ(run("Patient.name.given.substring(1)", d.doc), "error");
  EXPECT_EQ(run("'a' < 1", d.doc), "error");
  EXPECT_EQ(run("%undefined", d.doc), "error");
  EXPECT_EQ(run("'a'.matches('(')", d.doc), "error");
}

TEST(FhirPathEval, ChoiceNavigationAndTypes) {
  Doc d(kObservation);
  EXPECT_EQ(run("Observation.value.value", d.doc), "72.5");
  EXPECT_EQ(run("Observation.value is Quantity", d.doc), "true");
  EXPECT_EQ(run("Observation.value.ofType(Quantity).unit", d.doc), "kg");
  EXPECT_EQ(run("(Observation.value as Quantity).code", d.doc), "kg");
  EXPECT_EQ(run("Observation.value as string", d.doc), "");
  EXPECT_EQ(run("Observation.effective is dateTime", d.doc), "true");
  EXPECT_EQ(run("Observation.effective > @2021-03-04", d.doc), "");  // different precision: unknown
  EXPECT_EQ(run("Observation.effective > @2021-03-03", d.doc), "true");
  EXPECT_EQ(run("Observation.value > 70 'kg'", d.doc), "true");
  EXPECT_EQ(run("Observation.value = 72500 'g'", d.doc), "true");
  EXPECT_EQ(run("Observation.code.coding.where(system = %loinc).code", d.doc), "29463-7");
  // without definitions: the value[x] prefix rule and JSON types
  EXPECT_EQ(run("Observation.value.value", d.doc, false), "72.5");
  EXPECT_EQ(run("Observation.effective", d.doc, false), "2021-03-04T05:06:07+01:00");
  Doc p(kPatient);
  EXPECT_EQ(run("Patient.birthDate is date", p.doc), "true");
  EXPECT_EQ(run("Patient.birthDate is System.Date", p.doc), "false");
  EXPECT_EQ(run("Patient.birthDate.toString()", p.doc), "1974-12-25");
  EXPECT_EQ(run("Patient.deceased", p.doc), "false");
  EXPECT_EQ(run("Patient.active.type().name", p.doc), "boolean");
  EXPECT_EQ(run("Patient.is(DomainResource)", p.doc), "true");
  EXPECT_EQ(run("Patient.name.given.count()", p.doc), "3");
  EXPECT_EQ(run("Patient.name[1].given.id", p.doc), "g");
}

TEST(FhirPathEval, ResolveReferences) {
  Doc d(kObservation);
  EXPECT_EQ(run("Observation.subject.where(resolve() is Patient).reference", d.doc), "Patient/123");
  EXPECT_EQ(run("Observation.subject.resolve() is Practitioner", d.doc), "false");
  EXPECT_EQ(run("Observation.performer.resolve().count()", d.doc), "3");
  EXPECT_EQ(run("Observation.performer.where(resolve() is Organization).reference", d.doc),
            "http://x.org/fhir/Organization/5/_history/2");
  EXPECT_EQ(run("Observation.performer[0].resolve().gender", d.doc), "female");  // contained
  Doc b(R"({"resourceType": "Bundle", "type": "collection", "entry": [
    {"fullUrl": "urn:uuid:1", "resource": {"resourceType": "Patient", "id": "a", "gender": "male"}},
    {"fullUrl": "http://s/Observation/o", "resource": {"resourceType": "Observation", "id": "o",
      "status": "final", "subject": {"reference": "urn:uuid:1"}}}]})");
  EXPECT_EQ(run("Bundle.entry.resource.ofType(Observation).subject.resolve().gender", b.doc), "male");
}

TEST(FhirPathEval, Extensions) {
  Doc d(kObservation);
  EXPECT_EQ(run("Observation.extension('http://e.org/a').value", d.doc), "A");
  EXPECT_EQ(run("Observation.extension('http://e.org/b').value is boolean", d.doc), "true");
  EXPECT_EQ(run("Observation.extension('http://e.org/none').exists()", d.doc), "false");
  Doc p(kPatient);
  EXPECT_EQ(run("Patient.birthDate.extension(%`ext-patient-birthTime`).value", p.doc), "1974-12-25T14:35:45-05:00");
  EXPECT_EQ(run("Patient.birthDate.hasValue()", p.doc), "true");
  EXPECT_EQ(run("Patient.name[1].given.getValue()", p.doc), "Jim");
}

TEST(FhirPathEval, DatesAndQuantities) {
  Doc d("{}");
  EXPECT_EQ(run("@2012-04-15 = @2012-04-15", d.doc), "true");
  EXPECT_EQ(run("@2012-04-15 = @2012-04", d.doc), "");
  EXPECT_EQ(run("@2012-04-15 ~ @2012-04", d.doc), "false");
  EXPECT_EQ(run("@2012-04-15T10:00:00+02:00 = @2012-04-15T08:00:00Z", d.doc), "true");
  EXPECT_EQ(run("@2012-04-15 < @2012-04-16T10:00", d.doc), "true");
  EXPECT_EQ(run("@2012 < @2013-01", d.doc), "true");
  EXPECT_EQ(run("@2012-01-31 + 1 month", d.doc), "2012-02-29");
  EXPECT_EQ(run("@2012-03-01T10:00:00Z - 2 hours", d.doc), "2012-03-01T08:00:00Z");
  EXPECT_EQ(run("@T23:30 + 1 hour", d.doc), "00:30");
  EXPECT_EQ(run("1.0 = 1.00", d.doc), "true");
  EXPECT_EQ(run("1.2 ~ 1.23", d.doc), "true");
  EXPECT_EQ(run("'Ab  c' ~ 'ab c'", d.doc), "true");
  EXPECT_EQ(run("1 'cm' < 1 'm'", d.doc), "true");
  EXPECT_EQ(run("1 'h' = 60 'min'", d.doc), "true");
  EXPECT_EQ(run("1 'mg' = 1 'cm'", d.doc), "");
  EXPECT_EQ(run("today() = @2024-05-01", d.doc), "true");
}

// Every expression of the R4 SearchParameters parses and evaluates without error on a minimal resource.
TEST(FhirPathEval, AllR4SearchParameterExpressions) {
  std::ifstream in(std::string(HEALTHD_DEFINITIONS_DIR) + "/search-parameters.json");
  std::stringstream ss;
  ss << in.rdbuf();
  rapidjson::Document bundle;
  ASSERT_TRUE(healthd::json::parse(ss.str(), bundle));
  int parsed = 0, evaluated = 0;
  for (const auto& entry : bundle["entry"].GetArray()) {
    const auto& sp = entry["resource"];
    if (!sp.HasMember("expression") || !sp["expression"].IsString()) continue;
    std::string err;
    auto e = fp::Expression::parse(sp["expression"].GetString(), &err);
    EXPECT_TRUE(e) << sp["id"].GetString() << ": " << err;
    if (!e) continue;
    ++parsed;
    for (const auto& base : sp["base"].GetArray()) {
      rapidjson::Document res;
      std::string text = std::string(R"({"resourceType": ")") + base.GetString() + R"(", "id": "x"})";
      res.Parse(text.c_str());
      fp::EvalContext ctx;
      ctx.definitions = defs();
      auto c = fp::evaluate(*e, res, ctx);
      EXPECT_TRUE(c.ok()) << sp["id"].GetString() << " on " << base.GetString() << ": " << c.error;
      ++evaluated;
    }
  }
  std::cout << "R4 search parameters: " << parsed << " expressions parsed, " << evaluated << " evaluations\n";
  EXPECT_GT(parsed, 1000);
}

namespace {

// ResourceEvaluator answers each expression as evaluate() does, errors included, and an error
// cut short inside a lambda or aggregate() leaves nothing behind for the next expression.
TEST(FhirPathEval, OneResourceEvaluatorAnswersLikeEvaluateForEveryExpression) {
  Doc obs(kObservation);
  fp::EvalContext ctx;
  ctx.definitions = defs();
  ctx.now = "2024-05-01T10:00:00Z";
  fp::ResourceEvaluator shared(obs.doc, ctx);
  const char* exprs[] = {"Observation.subject.reference",
                         "(1 | 2 | 3).aggregate($this + $total, 0)",
                         "(1 | 2).aggregate(iif($total > 0, (1 | 2).single(), $this), 0)",  // fails inside
                         "$total.exists()",
                         "performer.where($this.reference.startsWith('#')).resolve().gender",
                         "performer.select(single())",
                         "value.as(Quantity).value > 70",
                         "effective.exists() and %resource.id = 'o1'"};
  for (const char* text : exprs) {
    std::string err;
    auto e = fp::Expression::parse(text, &err);
    ASSERT_TRUE(e.has_value()) << text << ": " << err;
    fp::Collection alone = fp::evaluate(*e, obs.doc, ctx);
    fp::Collection reused = shared.evaluate(*e);
    EXPECT_EQ(reused.ok(), alone.ok()) << text;
    EXPECT_EQ(reused.error, alone.error) << text;
    ASSERT_EQ(reused.size(), alone.size()) << text;
    for (size_t i = 0; i < alone.size(); ++i) EXPECT_EQ(fp::to_string(reused[i]), fp::to_string(alone[i])) << text;
  }
  EXPECT_EQ(&shared.resource(), &obs.doc);
}

}  // namespace
