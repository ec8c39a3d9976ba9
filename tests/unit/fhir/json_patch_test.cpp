#include "fhir/json_patch.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <sstream>

namespace healthd::fhir {
namespace {

json::Document parse(std::string_view text) {
  json::Document d;
  std::string why;
  EXPECT_TRUE(json::parse(text, d, &why)) << why << "\n" << text;
  return d;
}

// Applies patch text to doc text; returns the error (doc text updated on success).
std::optional<JsonPatchError> apply(std::string& doc_text, std::string_view patch_text) {
  json::Document doc = parse(doc_text);
  json::Document patch = parse(patch_text);
  auto err = apply_json_patch(doc, patch);
  doc_text = json::to_string(doc);
  return err;
}

void expect_result(std::string_view doc, std::string_view patch, std::string_view expected) {
  std::string d(doc);
  auto err = apply(d, patch);
  ASSERT_FALSE(err) << err->message;
  json::Document got = parse(d), want = parse(expected);
  EXPECT_TRUE(got == want) << "got " << d << "\nwant " << expected;
}

JsonPatchError expect_error(std::string_view doc, std::string_view patch, JsonPatchError::Kind kind, int index) {
  std::string d(doc);
  auto err = apply(d, patch);
  EXPECT_TRUE(err) << "patch " << patch << " applied: " << d;
  if (!err) return {};
  EXPECT_EQ(err->kind, kind) << err->message;
  EXPECT_EQ(err->index, index) << err->message;
  EXPECT_FALSE(err->message.empty());
  // Atomic: the document is unchanged.
  EXPECT_TRUE(parse(d) == parse(doc)) << "document changed by a failed patch: " << d;
  return *err;
}

constexpr auto Malformed = JsonPatchError::Kind::Malformed;
constexpr auto Failed = JsonPatchError::Kind::Failed;

std::filesystem::path suite_path() {
  if (const char* p = std::getenv("HEALTHD_JSON_PATCH_TESTS")) return p;
  return std::filesystem::path(HEALTHD_SOURCE_DIR) / ".." / "shared" / "testdata" / "patch" / "json-patch-tests.json";
}

}  // namespace

// The official FHIR test cases (fhir-test-cases r4/patch/json-patch-tests.json): every case is run;
// `expected` must match (objects compared without member order), `error` must fail and leave the
// document unchanged, `disabled` cases are reported as skipped with their reason.
TEST(JsonPatchSuite, OfficialJsonPatchTests) {
  auto path = suite_path();
  std::ifstream in(path, std::ios::binary);
  ASSERT_TRUE(in) << "cannot read " << path << " (set HEALTHD_JSON_PATCH_TESTS to its location)";
  std::stringstream ss;
  ss << in.rdbuf();
  json::Document cases = parse(ss.str());
  ASSERT_TRUE(cases.IsArray());

  int passed = 0, failed = 0, skipped = 0, n = 0;
  for (const auto& c : cases.GetArray()) {
    ++n;
    std::string comment = c.HasMember("comment") && c["comment"].IsString() ? c["comment"].GetString()
                                                                            : "case " + std::to_string(n);
    if (auto d = c.FindMember("disabled"); d != c.MemberEnd() && !(d->value.IsBool() && !d->value.GetBool())) {
      ++skipped;
      std::cout << "[ SKIPPED  ] " << comment << ": disabled"
                << (d->value.IsString() ? std::string(" (") + d->value.GetString() + ")" : std::string()) << "\n";
      continue;
    }
    json::Document doc;
    doc.CopyFrom(c["doc"], doc.GetAllocator());
    json::Document before;
    before.CopyFrom(doc, before.GetAllocator());
    auto err = apply_json_patch(doc, c["patch"]);
    bool ok;
    std::string detail;
    if (c.HasMember("error")) {
      ok = err.has_value() && doc == before;
      detail = err ? "failed as expected: " + err->message : "applied, but should fail: " + std::string(c["error"].GetString());
      if (err && !(doc == before)) detail += " (and changed the document)";
    } else if (c.HasMember("expected")) {
      ok = !err && doc == c["expected"];
      detail = err ? "error: " + err->message : "got " + json::to_string(doc) + ", want " + json::to_string(c["expected"]);
    } else {
      // Neither expected nor error: the patch must simply apply.
      ok = !err;
      detail = err ? "error: " + err->message : "applied";
    }
    if (ok) {
      ++passed;
    } else {
      ++failed;
      ADD_FAILURE() << comment << ": " << detail;
    }
  }
  std::cout << "JSON Patch official suite (" << path.filename().string() << "): " << n << " cases, " << passed
            << " passed, " << failed << " failed, " << skipped << " skipped\n";
  RecordProperty("cases", n);
  RecordProperty("passed", passed);
  RecordProperty("failed", failed);
  RecordProperty("skipped", skipped);
  EXPECT_EQ(failed, 0);
  EXPECT_GT(n, 0);
}

TEST(JsonPatchPointer, ParsesAndUnescapes) {
  using V = std::vector<std::string>;
  EXPECT_EQ(*parse_json_pointer(""), V{});
  EXPECT_EQ(*parse_json_pointer("/"), V{""});
  EXPECT_EQ(*parse_json_pointer("/a/b"), (V{"a", "b"}));
  EXPECT_EQ(*parse_json_pointer("/a~1b/m~0n"), (V{"a/b", "m~n"}));
  EXPECT_EQ(*parse_json_pointer("/~01"), V{"~1"});  // ~0 first, so not "/"
  EXPECT_EQ(*parse_json_pointer("/a//b/"), (V{"a", "", "b", ""}));
  EXPECT_FALSE(parse_json_pointer("a/b"));
  EXPECT_FALSE(parse_json_pointer("/a~2"));
  EXPECT_FALSE(parse_json_pointer("/a~"));
}

TEST(JsonPatch, RfcExamplesOfEachOperation) {
  expect_result(R"({"foo":"bar"})", R"([{"op":"add","path":"/baz","value":"qux"}])", R"({"foo":"bar","baz":"qux"})");
  expect_result(R"({"foo":[1,2]})", R"([{"op":"add","path":"/foo/0","value":0}])", R"({"foo":[0,1,2]})");
  expect_result(R"({"foo":[1,2]})", R"([{"op":"add","path":"/foo/2","value":3}])", R"({"foo":[1,2,3]})");
  expect_result(R"({"foo":[1,2]})", R"([{"op":"add","path":"/foo/-","value":[3]}])", R"({"foo":[1,2,[3]]})");
  expect_result(R"({"foo":1})", R"([{"op":"add","path":"/foo","value":{"x":null}}])", R"({"foo":{"x":null}})");
  expect_result(R"({"foo":1})", R"([{"op":"add","path":"","value":[1]}])", R"([1])");
  expect_result(R"({"a":1,"b":2})", R"([{"op":"remove","path":"/a"}])", R"({"b":2})");
  expect_result(R"([1,2,3])", R"([{"op":"remove","path":"/1"}])", R"([1,3])");
  expect_result(R"({"a":1})", R"([{"op":"replace","path":"/a","value":[true]}])", R"({"a":[true]})");
  expect_result(R"({"a":1})", R"([{"op":"replace","path":"","value":{"b":2}}])", R"({"b":2})");
  expect_result(R"({"a":{"x":1},"b":{}})", R"([{"op":"move","from":"/a/x","path":"/b/y"}])", R"({"a":{},"b":{"y":1}})");
  expect_result(R"({"a":[1,2,3,4]})", R"([{"op":"move","from":"/a/1","path":"/a/3"}])", R"({"a":[1,3,4,2]})");
  expect_result(R"({"a":{"x":1}})", R"([{"op":"move","from":"/a","path":"/a"}])", R"({"a":{"x":1}})");
  expect_result(R"({"a":{"x":[1]}})", R"([{"op":"copy","from":"/a/x","path":"/b"}])", R"({"a":{"x":[1]},"b":[1]})");
  expect_result(R"({"a":[1,{"b":"c"}]})", R"([{"op":"test","path":"/a","value":[1,{"b":"c"}]}])", R"({"a":[1,{"b":"c"}]})");
}

TEST(JsonPatch, EscapedPathsAndEmptyKeys) {
  expect_result(R"({"a/b":1,"m~n":2,"":3})",
                R"([{"op":"replace","path":"/a~1b","value":10},{"op":"replace","path":"/m~0n","value":20},
                    {"op":"replace","path":"/","value":30}])",
                R"({"a/b":10,"m~n":20,"":30})");
  expect_result(R"({})", R"([{"op":"add","path":"/~01","value":1}])", R"({"~1":1})");
}

TEST(JsonPatch, TestComparesJsonValues) {
  expect_result(R"({"n":1})", R"([{"op":"test","path":"/n","value":1.0}])", R"({"n":1})");
  expect_result(R"({"o":{"a":1,"b":[1,2]}})", R"([{"op":"test","path":"/o","value":{"b":[1,2],"a":1}}])",
                R"({"o":{"a":1,"b":[1,2]}})");
  expect_error(R"({"a":[1,2]})", R"([{"op":"test","path":"/a","value":[2,1]}])", Failed, 0);
  expect_error(R"({"a":"1"})", R"([{"op":"test","path":"/a","value":1}])", Failed, 0);
  expect_error(R"({"a":null})", R"([{"op":"test","path":"/a","value":false}])", Failed, 0);
  expect_error(R"({"a":{"x":1}})", R"([{"op":"test","path":"/a","value":{"x":1,"y":2}}])", Failed, 0);
  expect_result(R"({"a":null})", R"([{"op":"test","path":"/a","value":null}])", R"({"a":null})");
}

TEST(JsonPatch, FailuresNameTheOperationAndLeaveTheDocumentUnchanged) {
  // The first two operations apply to the working copy, the third fails: nothing is kept.
  auto e = expect_error(R"({"name":"x","list":[1]})",
                        R"([{"op":"replace","path":"/name","value":"y"},{"op":"add","path":"/list/-","value":2},
                            {"op":"test","path":"/name","value":"x"}])",
                        Failed, 2);
  EXPECT_NE(e.message.find("operation 2"), std::string::npos) << e.message;
  EXPECT_NE(e.message.find("test"), std::string::npos) << e.message;
  EXPECT_NE(e.message.find("/name"), std::string::npos) << e.message;

  expect_error(R"({"a":{}})", R"([{"op":"add","path":"/a/b/c","value":1}])", Failed, 0);  // no recursive creation
  expect_error(R"({"a":1})", R"([{"op":"remove","path":"/b"}])", Failed, 0);
  expect_error(R"({"a":1})", R"([{"op":"replace","path":"/b","value":1}])", Failed, 0);
  expect_error(R"({"a":[1]})", R"([{"op":"add","path":"/a/2","value":1}])", Failed, 0);
  expect_error(R"({"a":[1]})", R"([{"op":"remove","path":"/a/1"}])", Failed, 0);
  expect_error(R"({"a":[1]})", R"([{"op":"remove","path":"/a/-"}])", Failed, 0);
  expect_error(R"({"a":[1]})", R"([{"op":"replace","path":"/a/01","value":1}])", Failed, 0);
  expect_error(R"({"a":[1]})", R"([{"op":"add","path":"/a/-1","value":1}])", Failed, 0);
  expect_error(R"({"a":[1]})", R"([{"op":"add","path":"/a/x","value":1}])", Failed, 0);
  expect_error(R"({"a":"s"})", R"([{"op":"add","path":"/a/x","value":1}])", Failed, 0);
  expect_error(R"({"a":{"b":1}})", R"([{"op":"move","from":"/a","path":"/a/b/c"}])", Failed, 0);
  expect_error(R"({"a":{"b":1}})", R"([{"op":"move","from":"/x","path":"/y"}])", Failed, 0);
  expect_error(R"({"a":{"b":1}})", R"([{"op":"copy","from":"/x","path":"/y"}])", Failed, 0);
  expect_error(R"({"a":1})", R"([{"op":"remove","path":""}])", Failed, 0);
  expect_error(R"({"a":1})", R"([{"op":"test","path":"/b","value":1}])", Failed, 0);
}

TEST(JsonPatch, MalformedPatchDocuments) {
  expect_error(R"({})", R"({"op":"add","path":"/a","value":1})", Malformed, -1);  // not an array
  expect_error(R"({})", R"([1])", Malformed, 0);
  expect_error(R"({})", R"([{"op":"add","path":"/a","value":1},{"path":"/a"}])", Malformed, 1);
  expect_error(R"({})", R"([{"op":"merge","path":"/a"}])", Malformed, 0);
  expect_error(R"({})", R"([{"op":"add","value":1}])", Malformed, 0);
  expect_error(R"({})", R"([{"op":"add","path":1,"value":1}])", Malformed, 0);
  expect_error(R"({})", R"([{"op":"add","path":"/a"}])", Malformed, 0);
  expect_error(R"({})", R"([{"op":"replace","path":"/a"}])", Malformed, 0);
  expect_error(R"({})", R"([{"op":"test","path":"/a"}])", Malformed, 0);
  expect_error(R"({"a":1})", R"([{"op":"move","path":"/b"}])", Malformed, 0);
  expect_error(R"({"a":1})", R"([{"op":"copy","from":"a","path":"/b"}])", Malformed, 0);
  expect_error(R"({"a":1})", R"([{"op":"remove","path":"a"}])", Malformed, 0);
  expect_error(R"({"a":1})", R"([{"op":"remove","path":"/a~2"}])", Malformed, 0);
  // A malformed operation after applicable ones: nothing is applied (checked before any change).
  expect_error(R"({"a":1})", R"([{"op":"remove","path":"/a"},{"op":"nope","path":"/a"}])", Malformed, 1);
  // Members other than op/path/from/value are ignored; value may be null.
  expect_result(R"({"a":1})", R"([{"op":"replace","path":"/a","value":null,"extra":{"x":1},"from":7}])", R"({"a":null})");
  expect_result(R"({"a":1})", R"([])", R"({"a":1})");
}

}  // namespace healthd::fhir
