// FHIRPath Patch engine: hand-written cases, and the official suite (fhir-test-cases
// r4/patch/fhir-patch-tests.xml), whose XML resources are converted to FHIR JSON with the definitions.
#include "fhir/fhirpath_patch.h"

#include <gtest/gtest.h>
#include <libxml/parser.h>
#include <libxml/tree.h>

#include <cctype>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <vector>

#include "fhir/definitions.h"

namespace healthd::fhir {
namespace {

const Definitions& defs() {
  static std::shared_ptr<const Definitions> d = Definitions::load(HEALTHD_DEFINITIONS_DIR);
  return *d;
}

json::Document parse(std::string_view text) {
  json::Document d;
  std::string why;
  EXPECT_TRUE(json::parse(text, d, &why)) << why << "\n" << text;
  return d;
}

std::optional<FhirPathPatchError> apply_text(std::string& doc_text, std::string_view params) {
  json::Document doc = parse(doc_text), p = parse(params);
  auto err = apply_fhirpath_patch(doc, p, &defs());
  doc_text = json::to_string(doc);
  return err;
}

// One operation as Parameters JSON: parts is the text inside "part": [...] after type and path.
std::string op(std::string_view type, std::string_view path, std::string_view more = "") {
  std::string s = R"({"name":"operation","part":[{"name":"type","valueCode":")" + std::string(type) +
                  R"("},{"name":"path","valueString":")" + std::string(path) + "\"}";
  if (!more.empty()) s += "," + std::string(more);
  return s + "]}";
}
// The name and value parts of an add: value is the JSON members of the value part ("valueCode":"x").
std::string addv(std::string_view name, std::string_view value) {
  return R"({"name":"name","valueString":")" + std::string(name) + R"("},{"name":"value",)" + std::string(value) + "}";
}
std::string params(std::initializer_list<std::string> ops) {
  std::string s = R"({"resourceType":"Parameters","parameter":[)";
  bool first = true;
  for (const auto& o : ops) {
    if (!first) s += ",";
    s += o;
    first = false;
  }
  return s + "]}";
}

void expect_result(std::string_view doc, const std::string& p, std::string_view expected) {
  std::string d(doc);
  auto err = apply_text(d, p);
  ASSERT_FALSE(err) << err->message;
  json::Document got = parse(d), want = parse(expected);
  EXPECT_TRUE(got == want) << "got  " << d << "\nwant " << expected;
}

FhirPathPatchError expect_error(std::string_view doc, const std::string& p, FhirPathPatchError::Kind kind, int index) {
  std::string d(doc);
  auto err = apply_text(d, p);
  EXPECT_TRUE(err.has_value()) << "no error; result " << d;
  if (!err) return {};
  EXPECT_EQ(err->kind, kind) << err->message;
  EXPECT_EQ(err->index, index) << err->message;
  json::Document got = parse(d), before = parse(doc);
  EXPECT_TRUE(got == before) << "a failing patch changed the resource: " << d;  // atomic
  return *err;
}

constexpr const char* kPatient =
    R"({"resourceType":"Patient","id":"p","name":[{"family":"A","given":["x","y"],"_given":[null,{"id":"g"}]}],)"
    R"("deceasedBoolean":false,"birthDate":"1970-01-01","_birthDate":{"extension":[{"url":"u","valueString":"v"}]}})";

TEST(FhirPathPatch, AddSetsAMissingElementAndAppendsToLists) {
  expect_result(R"({"resourceType":"Patient"})",
                params({op("add", "Patient", addv("active", R"("valueBoolean":true)")),
                        op("add", "Patient", addv("identifier", R"("valueIdentifier":{"value":"1"})")),
                        op("add", "Patient", addv("identifier", R"("valueIdentifier":{"value":"2"})"))}),
                R"({"resourceType":"Patient","active":true,"identifier":[{"value":"1"},{"value":"2"}]})");
}

TEST(FhirPathPatch, AddChoiceByBaseNameAndPartsBuildBackboneElements) {
  expect_result(R"({"resourceType":"Patient"})",
                params({op("add", "Patient", addv("deceased", R"("valueDateTime":"2020-01-01")")),
                        op("add", "Patient",
                           addv("contact", R"("part":[{"name":"gender","valueCode":"male"},)"
                                           R"({"name":"telecom","valueContactPoint":{"value":"1"}}])"))}),
                R"({"resourceType":"Patient","deceasedDateTime":"2020-01-01",)"
                R"("contact":[{"gender":"male","telecom":[{"value":"1"}]}]})");
}

TEST(FhirPathPatch, AddToAnExistingSingleElementFails) {
  auto e = expect_error(kPatient, params({op("add", "Patient", addv("birthDate", R"("valueDate":"2000-01-01")"))}),
                        FhirPathPatchError::Kind::Failed, 0);
  EXPECT_NE(e.message.find("operation 0 (add Patient)"), std::string::npos) << e.message;
  expect_error(kPatient, params({op("add", "Patient", addv("deceased", R"("valueDateTime":"2000-01-01")"))}),
               FhirPathPatchError::Kind::Failed, 0);
  expect_error(kPatient, params({op("add", "Patient", addv("nonsense", R"("valueString":"x")"))}),
               FhirPathPatchError::Kind::Failed, 0);
  expect_error(kPatient, params({op("add", "Patient.name", addv("text", R"("valueString":"x")")),
                                 op("add", "Patient.contact", addv("gender", R"("valueCode":"male")"))}),
               FhirPathPatchError::Kind::Failed, 1);
}

TEST(FhirPathPatch, AddExtensionToAPrimitive) {
  expect_result(R"({"resourceType":"Patient","gender":"male"})",
                params({op("add", "Patient.gender", addv("extension", R"("valueExtension":{"url":"u","valueCode":"c"})"))}),
                R"({"resourceType":"Patient","gender":"male","_gender":{"extension":[{"url":"u","valueCode":"c"}]}})");
}

TEST(FhirPathPatch, InsertKeepsPrimitiveExtensionsAligned) {
  expect_result(kPatient, params({op("insert", "Patient.name[0].given", R"({"name":"index","valueInteger":0})"
                                                                        R"(,{"name":"value","valueString":"w"})")}),
                R"({"resourceType":"Patient","id":"p","name":[{"family":"A","given":["w","x","y"],"_given":[null,null,{"id":"g"}]}],)"
                R"("deceasedBoolean":false,"birthDate":"1970-01-01","_birthDate":{"extension":[{"url":"u","valueString":"v"}]}})");
  // into an empty list whose parent exists
  expect_result(R"({"resourceType":"Patient"})",
                params({op("insert", "Patient.identifier", R"({"name":"index","valueInteger":0})"
                                                           R"(,{"name":"value","valueIdentifier":{"value":"1"}})")}),
                R"({"resourceType":"Patient","identifier":[{"value":"1"}]})");
  expect_error(kPatient, params({op("insert", "Patient.name", R"({"name":"index","valueInteger":2})"
                                                              R"(,{"name":"value","valueHumanName":{"text":"t"}})")}),
               FhirPathPatchError::Kind::Failed, 0);
}

TEST(FhirPathPatch, DeleteRemovesValueExtensionAndEmptyParents) {
  expect_result(kPatient, params({op("delete", "Patient.birthDate"), op("delete", "Patient.name[0].given[1]"),
                                  op("delete", "Patient.telecom")}),
                R"({"resourceType":"Patient","id":"p","name":[{"family":"A","given":["x"]}],"deceasedBoolean":false})");
  expect_result(R"({"resourceType":"Patient","name":[{"family":"A"}]})", params({op("delete", "Patient.name.family")}),
                R"({"resourceType":"Patient"})");
  expect_error(kPatient, params({op("delete", "Patient.name.given")}), FhirPathPatchError::Kind::Failed, 0);
  expect_error(kPatient, params({op("delete", "Patient")}), FhirPathPatchError::Kind::Failed, 0);
}

TEST(FhirPathPatch, ReplaceWholeElementAndChoiceType) {
  expect_result(kPatient,
                params({op("replace", "Patient.birthDate", R"({"name":"value","valueDate":"1980-02-02"})"),
                        op("replace", "Patient.deceased", R"({"name":"value","valueDateTime":"2020-01-01"})"),
                        op("replace", "Patient.name[0].given[1]", R"({"name":"value","valueString":"z"})")}),
                R"({"resourceType":"Patient","id":"p","name":[{"family":"A","given":["x","z"]}],)"
                R"("deceasedDateTime":"2020-01-01","birthDate":"1980-02-02"})");
  expect_error(kPatient, params({op("replace", "Patient.gender", R"({"name":"value","valueCode":"male"})")}),
               FhirPathPatchError::Kind::Failed, 0);
  expect_error(kPatient, params({op("replace", "Patient.deceased", R"({"name":"value","valueString":"x"})")}),
               FhirPathPatchError::Kind::Failed, 0);
}

TEST(FhirPathPatch, MoveWithinAList) {
  expect_result(kPatient, params({op("move", "Patient.name[0].given",
                                     R"({"name":"source","valueInteger":1},{"name":"destination","valueInteger":0})")}),
                R"({"resourceType":"Patient","id":"p","name":[{"family":"A","given":["y","x"],"_given":[{"id":"g"},null]}],)"
                R"("deceasedBoolean":false,"birthDate":"1970-01-01","_birthDate":{"extension":[{"url":"u","valueString":"v"}]}})");
  expect_error(kPatient, params({op("move", "Patient.name[0].given",
                                    R"({"name":"source","valueInteger":2},{"name":"destination","valueInteger":0})")}),
               FhirPathPatchError::Kind::Failed, 0);
  expect_error(kPatient, params({op("move", "Patient.birthDate",
                                    R"({"name":"source","valueInteger":0},{"name":"destination","valueInteger":0})")}),
               FhirPathPatchError::Kind::Failed, 0);
}

TEST(FhirPathPatch, MalformedParametersAreMalformed) {
  using K = FhirPathPatchError::Kind;
  expect_error(kPatient, R"({"resourceType":"Patient"})", K::Malformed, -1);
  expect_error(kPatient, R"([])", K::Malformed, -1);
  expect_error(kPatient, params({op("frobnicate", "Patient")}), K::Malformed, 0);
  expect_error(kPatient, params({op("delete", "Patient.gender"), op("delete", "Patient.(")}), K::Malformed, 1);
  expect_error(kPatient, params({op("add", "Patient", R"({"name":"value","valueString":"x"})")}), K::Malformed, 0);
  expect_error(kPatient, params({op("insert", "Patient.name", R"({"name":"value","valueString":"x"})")}), K::Malformed, 0);
  expect_error(kPatient, params({op("move", "Patient.name", R"({"name":"source","valueInteger":0})")}), K::Malformed, 0);
  expect_error(kPatient, params({op("replace", "Patient.gender")}), K::Malformed, 0);
  expect_error(kPatient, params({op("delete", "Patient.gender", R"({"name":"bogus","valueString":"x"})")}), K::Malformed, 0);
  expect_error(kPatient, R"({"resourceType":"Parameters","parameter":[{"name":"other","valueString":"x"}]})", K::Malformed, 0);
  // no parameters: nothing changes
  expect_result(kPatient, R"({"resourceType":"Parameters"})", kPatient);
}

TEST(FhirPathPatch, FailingLaterOperationLeavesDocumentUntouched) {
  expect_error(kPatient, params({op("delete", "Patient.birthDate"), op("replace", "Patient.gender", R"({"name":"value","valueCode":"male"})")}),
               FhirPathPatchError::Kind::Failed, 1);
}

// ---------------------------------------------------------------------------------------------
// The official suite, XML -> FHIR JSON

std::string attr(xmlNode* n, const char* name) {
  xmlChar* v = xmlGetProp(n, reinterpret_cast<const xmlChar*>(name));
  if (v == nullptr) return {};
  std::string s(reinterpret_cast<const char*>(v));
  xmlFree(v);
  return s;
}
bool has_attr(xmlNode* n, const char* name) { return xmlHasProp(n, reinterpret_cast<const xmlChar*>(name)) != nullptr; }
std::string_view local(xmlNode* n) { return reinterpret_cast<const char*>(n->name); }
std::vector<xmlNode*> elements(xmlNode* n) {
  std::vector<xmlNode*> out;
  for (xmlNode* c = n ? n->children : nullptr; c; c = c->next)
    if (c->type == XML_ELEMENT_NODE) out.push_back(c);
  return out;
}

// Collapses whitespace in serialized XHTML so a narrative written in XML and one given as a string compare.
std::string normalize_xhtml(std::string_view s) {
  std::string out;
  bool space = false;
  for (char c : s) {
    if (std::isspace(static_cast<unsigned char>(c))) {
      space = true;
      continue;
    }
    if (space && !out.empty() && out.back() != '>' && c != '<') out += ' ';
    space = false;
    out += c;
  }
  return out;
}

class XmlToJson {
 public:
  explicit XmlToJson(json::Allocator& a) : a_(a) {}
  std::string error;

  json::Value resource(xmlNode* n) {
    json::Value obj(rapidjson::kObjectType);
    std::string type(local(n));
    obj.AddMember("resourceType", json::str(type, a_), a_);
    const TypeModel* m = defs().resource(type);
    if (!m) error = "unknown resource " + type;
    fill(obj, n, m);
    return obj;
  }

 private:
  json::Allocator& a_;

  json::Value primitive(xmlNode* n, const ElementModel& el) {
    if (!has_attr(n, "value")) return json::Value();
    std::string v = attr(n, "value");
    switch (el.primitive) {
      case PrimitiveKind::Boolean: return json::Value(v == "true");
      case PrimitiveKind::Integer:
      case PrimitiveKind::UnsignedInt:
      case PrimitiveKind::PositiveInt: return json::Value(static_cast<int64_t>(std::stoll(v)));
      case PrimitiveKind::Decimal: {
        json::Document d;
        d.Parse(v.c_str());
        return json::Value(d.GetDouble());
      }
      default: return json::str(v, a_);
    }
  }

  // id / extension of a primitive: its `_name` object (null when none).
  json::Value primitive_ext(xmlNode* n) {
    json::Value ext(rapidjson::kObjectType);
    if (has_attr(n, "id")) ext.AddMember("id", json::str(attr(n, "id"), a_), a_);
    fill(ext, n, &defs().element());
    if (ext.MemberCount() == 0) return json::Value();
    return ext;
  }

  void fill(json::Value& obj, xmlNode* n, const TypeModel* m) {
    struct Slot {
      const ElementModel* el = nullptr;
      std::vector<json::Value> values, exts;
    };
    std::vector<std::pair<std::string, Slot>> slots;
    auto slot = [&](const std::string& name) -> Slot& {
      for (auto& s : slots)
        if (s.first == name) return s.second;
      slots.emplace_back(name, Slot{});
      return slots.back().second;
    };
    if (has_attr(n, "url")) obj.AddMember("url", json::str(attr(n, "url"), a_), a_);
    if (m && !m->is_resource && m != &defs().element() && has_attr(n, "id"))
      obj.AddMember("id", json::str(attr(n, "id"), a_), a_);
    for (xmlNode* c : elements(n)) {
      std::string name(local(c));
      if (name == "div") {  // xhtml narrative, serialized
        xmlBufferPtr buf = xmlBufferCreate();
        xmlNodeDump(buf, c->doc, c, 0, 0);
        std::string s(reinterpret_cast<const char*>(xmlBufferContent(buf)));
        xmlBufferFree(buf);
        Slot& s0 = slot(name);
        s0.values.push_back(json::str(normalize_xhtml(s), a_));
        s0.exts.emplace_back();
        continue;
      }
      const ElementModel* el = m ? m->find(name) : nullptr;
      if (!el) {
        error = "unknown element " + name + " in " + (m ? m->name : "?");
        continue;
      }
      Slot& s = slot(name);
      s.el = el;
      if (el->kind == ElementKind::Primitive) {
        s.values.push_back(primitive(c, *el));
        s.exts.push_back(primitive_ext(c));
      } else if (el->kind == ElementKind::Resource) {
        auto inner = elements(c);
        s.values.push_back(inner.empty() ? json::Value() : resource(inner[0]));
        s.exts.emplace_back();
      } else {
        json::Value child(rapidjson::kObjectType);
        fill(child, c, el->type);
        s.values.push_back(std::move(child));
        s.exts.emplace_back();
      }
    }
    for (auto& [name, s] : slots) {
      bool array = s.el && s.el->array;
      bool any_ext = false;
      for (auto& e : s.exts) any_ext |= !e.IsNull();
      bool any_value = false;
      for (auto& v : s.values) any_value |= !v.IsNull();
      if (array) {
        json::Value arr(rapidjson::kArrayType), earr(rapidjson::kArrayType);
        for (auto& v : s.values) arr.PushBack(v, a_);
        for (auto& e : s.exts) earr.PushBack(e, a_);
        if (any_value) obj.AddMember(json::str(name, a_), arr, a_);
        if (any_ext) obj.AddMember(json::str("_" + name, a_), earr, a_);
      } else {
        if (any_value) obj.AddMember(json::str(name, a_), s.values[0], a_);
        if (any_ext) obj.AddMember(json::str("_" + name, a_), s.exts[0], a_);
      }
    }
  }
};

TEST(FhirPathPatchSuite, OfficialFhirPatchTests) {
  const std::filesystem::path file = std::filesystem::path(HEALTHD_SOURCE_DIR) / "../shared/testdata/patch/fhir-patch-tests.xml";
  std::filesystem::path path = std::filesystem::exists(file) ? file : "/work/shared/testdata/patch/fhir-patch-tests.xml";
  ASSERT_TRUE(std::filesystem::exists(path)) << path;
  xmlDoc* xml = xmlReadFile(path.c_str(), nullptr, XML_PARSE_NONET);
  ASSERT_NE(xml, nullptr);
  int total = 0, passed = 0;
  std::vector<std::string> failures;
  for (xmlNode* c : elements(xmlDocGetRootElement(xml))) {
    if (local(c) != "case") continue;
    ++total;
    std::string name = attr(c, "name");
    xmlNode *input = nullptr, *diff = nullptr, *output = nullptr, *error = nullptr;
    for (xmlNode* p : elements(c)) {
      if (local(p) == "input") input = p;
      else if (local(p) == "diff") diff = p;
      else if (local(p) == "output") output = p;
      else if (local(p) == "error") error = p;
    }
    json::Document doc, params, want;
    XmlToJson conv_doc(doc.GetAllocator()), conv_params(params.GetAllocator()), conv_want(want.GetAllocator());
    json::Value d = conv_doc.resource(elements(input)[0]);
    static_cast<json::Value&>(doc).Swap(d);
    json::Value p = conv_params.resource(elements(diff)[0]);
    static_cast<json::Value&>(params).Swap(p);
    if (!conv_doc.error.empty() || !conv_params.error.empty()) {
      failures.push_back(name + ": conversion: " + conv_doc.error + conv_params.error);
      continue;
    }
    auto err = apply_fhirpath_patch(doc, params, &defs());
    if (error) {
      if (err && err->kind == FhirPathPatchError::Kind::Failed) {
        ++passed;
        std::printf("[ info     ] %s: expected error '%s', got '%s'\n", name.c_str(), attr(error, "msg").c_str(),
                    err->message.c_str());
      } else {
        failures.push_back(name + ": expected an error (" + attr(error, "msg") + ")");
      }
      continue;
    }
    if (err) {
      failures.push_back(name + ": " + err->message);
      continue;
    }
    json::Value w = conv_want.resource(elements(output)[0]);
    static_cast<json::Value&>(want).Swap(w);
    // narratives: compare with whitespace collapsed (one side was XML, the other a string)
    json::Document got;
    got.CopyFrom(doc, got.GetAllocator());
    std::function<void(json::Value&, json::Allocator&)> norm = [&](json::Value& v, json::Allocator& a) {
      if (v.IsObject()) {
        for (auto it = v.MemberBegin(); it != v.MemberEnd(); ++it) {
          if (std::string_view(it->name.GetString()) == "div" && it->value.IsString()) {
            std::string n = normalize_xhtml(it->value.GetString());
            it->value.SetString(n.c_str(), static_cast<rapidjson::SizeType>(n.size()), a);
          } else {
            norm(it->value, a);
          }
        }
      } else if (v.IsArray()) {
        for (auto& e : v.GetArray()) norm(e, a);
      }
    };
    norm(got, got.GetAllocator());
    norm(want, want.GetAllocator());
    if (got == want) {
      ++passed;
    } else {
      failures.push_back(name + ":\n   got  " + json::to_string(got) + "\n   want " + json::to_string(want));
    }
  }
  xmlFreeDoc(xml);
  std::printf("[ info     ] FHIRPath Patch suite: %d/%d cases pass\n", passed, total);
  for (const auto& f : failures) ADD_FAILURE() << f;
  EXPECT_EQ(total, 33);
  EXPECT_EQ(passed, total);
}

}  // namespace
}  // namespace healthd::fhir
