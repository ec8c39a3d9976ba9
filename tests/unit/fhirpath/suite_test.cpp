// Runs the official FHIRPath R4 test suite (fhir-test-cases r4/fhirpath/tests-fhir-r4.xml) on JSON inputs.
// Every failure must be listed in known-failures.txt, and every listed test must still fail.
#include <gtest/gtest.h>
#include <libxml/parser.h>
#include <libxml/tree.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <set>
#include <sstream>

#include "fhir/definitions.h"
#include "fhirpath/fhirpath.h"
#include "json/json.h"

namespace fp = healthd::fhirpath;
namespace fs = std::filesystem;

namespace {

// ../shared/testdata/fhirpath next to the checkout; FHIRPATH_SUITE_DIR overrides.
fs::path suite_dir() {
  if (const char* env = std::getenv("FHIRPATH_SUITE_DIR")) return env;
  return fs::path(HEALTHD_SOURCE_DIR) / ".." / "shared" / "testdata" / "fhirpath";
}
const fs::path kSuiteDir = suite_dir();

std::string attr(xmlNode* n, const char* name) {
  xmlChar* v = xmlGetProp(n, reinterpret_cast<const xmlChar*>(name));
  if (v == nullptr) return {};
  std::string s(reinterpret_cast<const char*>(v));
  xmlFree(v);
  return s;
}

std::string text(xmlNode* n) {
  xmlChar* v = xmlNodeGetContent(n);
  if (v == nullptr) return {};
  std::string s(reinterpret_cast<const char*>(v));
  xmlFree(v);
  return s;
}

struct Output {
  std::string type, value;
};

struct Case {
  std::string name, group, input, expression, invalid, mode;
  bool predicate = false;
  bool ordered = true;
  std::vector<Output> outputs;
};

std::vector<Case> load_cases() {
  std::vector<Case> out;
  xmlDoc* doc = xmlReadFile((kSuiteDir / "tests-fhir-r4.xml").c_str(), nullptr, 0);
  if (doc == nullptr) return out;
  xmlNode* root = xmlDocGetRootElement(doc);
  for (xmlNode* g = root->children; g; g = g->next) {
    if (g->type != XML_ELEMENT_NODE || xmlStrcmp(g->name, BAD_CAST "group") != 0) continue;
    for (xmlNode* t = g->children; t; t = t->next) {
      if (t->type != XML_ELEMENT_NODE || xmlStrcmp(t->name, BAD_CAST "test") != 0) continue;
      Case c;
      c.group = attr(g, "name");
      c.name = attr(t, "name");
      c.input = attr(t, "inputfile");
      c.mode = attr(t, "mode");
      c.predicate = attr(t, "predicate") == "true";
      c.ordered = attr(t, "ordered") != "false";
      for (xmlNode* e = t->children; e; e = e->next) {
        if (e->type != XML_ELEMENT_NODE) continue;
        if (xmlStrcmp(e->name, BAD_CAST "expression") == 0) {
          c.expression = text(e);
          c.invalid = attr(e, "invalid");
          if (c.mode.empty()) c.mode = attr(e, "mode");
        } else if (xmlStrcmp(e->name, BAD_CAST "output") == 0) {
          c.outputs.push_back({attr(e, "type"), text(e)});
        }
      }
      out.push_back(std::move(c));
    }
  }
  xmlFreeDoc(doc);
  return out;
}

std::string read_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Does actual match the expected output (type and value)?
bool matches(const fp::Value& v, const Output& o, std::string* why) {
  std::string actual = fp::to_string(v);
  std::string expected = o.value;
  const std::string& t = o.type;
  auto fail = [&](const std::string& m) {
    *why = m + " (expected " + t + " " + expected + ", got " + std::string(fp::type_name(v)) + " " + actual + ")";
    return false;
  };
  if (t == "boolean") {
    if (v.kind != fp::Kind::Boolean) return fail("type");
  } else if (t == "integer") {
    if (v.kind != fp::Kind::Integer) return fail("type");
  } else if (t == "decimal") {
    if (v.kind != fp::Kind::Decimal) return fail("type");
    if (std::fabs(v.decimal - std::stod(expected)) > 1e-9 * std::max(1.0, std::fabs(v.decimal))) return fail("value");
    return true;
  } else if (t == "date" || t == "dateTime" || t == "time") {
    fp::Kind k = t == "date" ? fp::Kind::Date : t == "dateTime" ? fp::Kind::DateTime : fp::Kind::Time;
    if (v.kind != k) return fail("type");
    if (!expected.empty() && expected[0] == '@') expected.erase(0, 1);
    if (k == fp::Kind::Time && !expected.empty() && expected[0] == 'T') expected.erase(0, 1);
    if (!actual.empty() && actual.back() == 'T') actual.pop_back();
    if (!expected.empty() && expected.back() == 'T') expected.pop_back();
  } else if (t == "Quantity") {
    if (v.kind != fp::Kind::Quantity) return fail("type");
  } else if (t == "string" || t == "code" || t == "id" || t == "uri") {
    if (v.kind != fp::Kind::String) return fail("type");
  }
  if (t.empty()) {  // untyped outputs (boundaries): literal syntax
    if (!expected.empty() && expected[0] == '@') expected.erase(0, 1);
    if (!expected.empty() && expected[0] == 'T') expected.erase(0, 1);
  }
  if (actual != expected) return fail("value");
  return true;
}

struct Outcome {
  bool applicable = true;
  std::string na_reason;
  bool pass = false;
  std::string detail;
};

class Suite {
 public:
  Suite() {
    defs_ = healthd::fhir::Definitions::load(HEALTHD_DEFINITIONS_DIR);
    ctx_.definitions = defs_.get();
    ctx_.now = "2024-05-01T10:00:00.000+00:00";
  }

  const rapidjson::Document* input(const std::string& name) {
    std::string json_name = name;
    if (json_name.size() > 4 && json_name.substr(json_name.size() - 4) == ".xml")
      json_name = json_name.substr(0, json_name.size() - 4) + ".json";
    auto it = docs_.find(json_name);
    if (it != docs_.end()) return it->second.get();
    fs::path p = kSuiteDir / "input" / json_name;
    if (!fs::exists(p)) return nullptr;
    auto doc = std::make_unique<rapidjson::Document>();
    if (!healthd::json::parse(read_file(p), *doc)) return nullptr;
    return (docs_[json_name] = std::move(doc)).get();
  }

  Outcome run(const Case& c) {
    Outcome o;
    // Tests whose data is only in the XML input: the JSON twin (r4/examples/observation-example.json) lacks it.
    static const std::map<std::string, std::string> kNotApplicable = {
        {"testFHIRPathIsFunction8", "the patient-age extension is in observation-example.xml but not in its JSON twin"},
        {"testFHIRPathIsFunction9", "the patient-age extension is in observation-example.xml but not in its JSON twin"},
        {"testFHIRPathIsFunction10", "the patient-age extension is in observation-example.xml but not in its JSON twin"},
    };
    if (auto it = kNotApplicable.find(c.name); it != kNotApplicable.end()) {
      o.applicable = false;
      o.na_reason = it->second;
      return o;
    }
    const rapidjson::Document* doc = c.input.empty() ? &empty_ : input(c.input);
    if (doc == nullptr) {
      o.applicable = false;
      o.na_reason = "no JSON twin of " + c.input;
      return o;
    }
    std::string err;
    auto expr = fp::Expression::parse(c.expression, &err);
    if (!expr) {
      o.pass = !c.invalid.empty();
      o.detail = "parse error: " + err;
      return o;
    }
    fp::EvalContext ctx = ctx_;
    ctx.strict = c.mode == "strict";
    fp::Collection r = fp::evaluate(*expr, *doc, ctx);
    if (!r.ok()) {
      o.pass = !c.invalid.empty();
      o.detail = "evaluation error: " + r.error;
      return o;
    }
    if (!c.invalid.empty()) {
      o.detail = "expected an error (" + c.invalid + "), got " + std::to_string(r.size()) + " item(s)";
      return o;
    }
    fp::Items items = r.items;
    if (c.predicate) {
      bool b = !items.empty() && !(items.size() == 1 && items[0].kind == fp::Kind::Boolean && !items[0].boolean);
      items = {fp::Value::of_bool(b)};
    }
    if (items.size() != c.outputs.size()) {
      o.detail = "expected " + std::to_string(c.outputs.size()) + " item(s), got " + std::to_string(items.size());
      for (size_t i = 0; i < items.size() && i < 5; ++i) o.detail += (i ? ", " : ": ") + fp::to_string(items[i]);
      return o;
    }
    std::vector<bool> used(items.size(), false);
    for (size_t i = 0; i < c.outputs.size(); ++i) {
      std::string why;
      if (c.ordered) {
        if (!matches(items[i], c.outputs[i], &why)) {
          o.detail = "item " + std::to_string(i) + ": " + why;
          return o;
        }
      } else {
        bool found = false;
        for (size_t j = 0; j < items.size() && !found; ++j)
          if (!used[j] && matches(items[j], c.outputs[i], &why)) used[j] = found = true;
        if (!found) {
          o.detail = "no match for " + c.outputs[i].value;
          return o;
        }
      }
    }
    o.pass = true;
    return o;
  }

 private:
  std::shared_ptr<const healthd::fhir::Definitions> defs_;
  fp::EvalContext ctx_;
  std::map<std::string, std::unique_ptr<rapidjson::Document>> docs_;
  rapidjson::Document empty_{rapidjson::kObjectType};
};

std::map<std::string, std::string> known_failures() {
  std::map<std::string, std::string> out;
  std::ifstream in(fs::path(HEALTHD_SOURCE_DIR) / "tests/unit/fhirpath/known-failures.txt");
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    size_t sep = line.find(" — ");
    size_t len = 5;
    if (sep == std::string::npos) {
      sep = line.find(" - ");
      len = 3;
    }
    std::string name = line.substr(0, sep);
    while (!name.empty() && name.back() == ' ') name.pop_back();
    out[name] = sep == std::string::npos ? "" : line.substr(sep + len);
  }
  return out;
}

}  // namespace

TEST(FhirPathSuite, OfficialR4Suite) {
  auto cases = load_cases();
  ASSERT_GT(cases.size(), 900u) << "could not read the suite";
  Suite suite;
  auto known = known_failures();
  int applicable = 0, passed = 0, failed = 0, na = 0;
  std::vector<std::string> unexpected_failures, unexpected_passes;
  std::set<std::string> seen;
  bool list = std::getenv("FHIRPATH_SUITE_LIST") != nullptr;
  for (const auto& c : cases) {
    seen.insert(c.name);
    Outcome o = suite.run(c);
    if (!o.applicable) {
      ++na;
      std::cout << "  n/a  " << c.name << " — " << o.na_reason << "\n";
      continue;
    }
    ++applicable;
    if (o.pass) {
      ++passed;
      if (known.count(c.name)) unexpected_passes.push_back(c.name);
    } else {
      ++failed;
      if (list) std::cout << c.name << " — " << o.detail << "   [" << c.expression << "]\n";
      if (!known.count(c.name)) unexpected_failures.push_back(c.name + ": " + o.detail + "  [" + c.expression + "]");
    }
  }
  std::cout << "FHIRPath R4 suite: " << cases.size() << " tests, " << applicable << " applicable, " << passed
            << " passed, " << failed << " failed, " << na << " not applicable (" << std::fixed << std::setprecision(1)
            << (applicable ? 100.0 * passed / applicable : 0.0) << "% of applicable)\n";
  for (const auto& f : unexpected_failures) ADD_FAILURE() << "unexpected failure: " << f;
  for (const auto& p : unexpected_passes) ADD_FAILURE() << "listed in known-failures.txt but passes: " << p;
  for (const auto& [name, reason] : known)
    if (!seen.count(name)) ADD_FAILURE() << "known-failures.txt names an unknown test: " << name;
  EXPECT_GE(passed * 100, applicable * 95) << "below 95% of the applicable tests";
}
