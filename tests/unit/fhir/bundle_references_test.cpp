#include "fhir/bundle_references.h"

#include <gtest/gtest.h>

#include <unordered_map>

namespace healthd::fhir {
namespace {

const Definitions& defs() {
  static std::shared_ptr<const Definitions> d = Definitions::load(HEALTHD_DEFINITIONS_DIR);
  return *d;
}

// Rewrites `text` with a fixed map of fullUrls; returns the JSON after and the count.
std::pair<std::string, size_t> rewrite(std::string_view text, const std::unordered_map<std::string, std::string>& map,
                                       std::vector<std::pair<std::string, ReferenceSite>>* seen = nullptr) {
  json::Document doc;
  EXPECT_TRUE(json::parse(text, doc)) << text;
  size_t n = rewrite_references(doc, doc.GetAllocator(), defs(), [&](std::string_view v, ReferenceSite site) {
    if (seen) seen->emplace_back(std::string(v), site);
    auto it = map.find(std::string(v));
    return it == map.end() ? std::nullopt : std::optional<std::string>(it->second);
  });
  return {json::to_string(doc), n};
}

const std::unordered_map<std::string, std::string> kMap = {
    {"urn:uuid:p1", "Patient/abc"}, {"urn:oid:1.2.3", "Organization/o1"}, {"urn:uuid:b1", "Binary/b1"}};

TEST(BundleReferences, RewritesReferencesAtAnyDepth) {
  auto [out, n] = rewrite(R"({"resourceType": "Observation", "status": "final", "code": {"text": "x"},
      "subject": {"reference": "urn:uuid:p1"},
      "performer": [{"reference": "urn:oid:1.2.3"}, {"reference": "Practitioner/keep"}],
      "component": [{"code": {"text": "c"}, "valueString": "urn:uuid:p1"}]})",
                          kMap);
  EXPECT_EQ(n, 2u);
  EXPECT_NE(out.find(R"("subject":{"reference":"Patient/abc"})"), std::string::npos) << out;
  EXPECT_NE(out.find(R"({"reference":"Organization/o1"})"), std::string::npos) << out;
  EXPECT_NE(out.find("Practitioner/keep"), std::string::npos);
  // A string element is not a reference, even when its text is a fullUrl.
  EXPECT_NE(out.find(R"("valueString":"urn:uuid:p1")"), std::string::npos) << out;
}

TEST(BundleReferences, RewritesExtensionsContainedAndPrimitiveExtensions) {
  auto [out, n] = rewrite(R"({"resourceType": "Observation", "status": "final", "code": {"text": "x"},
      "extension": [{"url": "http://e", "extension": [{"url": "inner", "valueReference": {"reference": "urn:uuid:p1"}}]}],
      "_status": {"extension": [{"url": "http://s", "valueReference": {"reference": "urn:uuid:p1"}}]},
      "contained": [{"resourceType": "Provenance", "id": "c1", "recorded": "2020-01-01T00:00:00Z",
                     "target": [{"reference": "urn:uuid:p1"}], "agent": [{"who": {"reference": "urn:oid:1.2.3"}}]}]})",
                          kMap);
  EXPECT_EQ(n, 4u) << out;
  EXPECT_EQ(out.find("urn:uuid:p1"), std::string::npos) << out;
  EXPECT_EQ(out.find("urn:oid:1.2.3"), std::string::npos) << out;
}

TEST(BundleReferences, RewritesUriTypedElementsButNotIdentifierValues) {
  auto [out, n] = rewrite(R"({"resourceType": "DocumentReference", "status": "current",
      "masterIdentifier": {"system": "urn:ietf:rfc:3986", "value": "urn:uuid:p1"},
      "content": [{"attachment": {"contentType": "text/plain", "url": "urn:uuid:b1"}}]})",
                          kMap);
  EXPECT_EQ(n, 1u) << out;
  EXPECT_NE(out.find(R"("url":"Binary/b1")"), std::string::npos) << out;
  EXPECT_NE(out.find(R"("value":"urn:uuid:p1")"), std::string::npos) << out;  // Identifier.value is a string
}

TEST(BundleReferences, RewritesNarrativeLinks) {
  auto [out, n] = rewrite(R"({"resourceType": "Patient",
      "text": {"status": "generated", "div": "<div xmlns=\"http://www.w3.org/1999/xhtml\"><a href=\"urn:uuid:p1\">me</a><img src=\"urn:uuid:b1\"/><a href=\"http://x\">x</a></div>"}})",
                          kMap);
  EXPECT_EQ(n, 2u) << out;
  EXPECT_NE(out.find(R"(href=\"Patient/abc\")"), std::string::npos) << out;
  EXPECT_NE(out.find(R"(src=\"Binary/b1\")"), std::string::npos) << out;
  EXPECT_NE(out.find(R"(href=\"http://x\")"), std::string::npos) << out;
}

TEST(BundleReferences, TellsTheResolverWhereEachValueSits) {
  std::vector<std::pair<std::string, ReferenceSite>> seen;
  rewrite(R"({"resourceType": "Observation", "status": "final", "code": {"coding": [{"system": "http://loinc.org", "code": "1"}]},
      "subject": {"reference": "Patient?identifier=a|b"}})",
          kMap, &seen);
  ASSERT_EQ(seen.size(), 2u);
  EXPECT_EQ(seen[0], std::make_pair(std::string("http://loinc.org"), ReferenceSite::Uri));
  EXPECT_EQ(seen[1], std::make_pair(std::string("Patient?identifier=a|b"), ReferenceSite::Reference));
}

TEST(BundleReferences, JsonPatchValuesNamingEntriesAreRewritten) {
  json::Document patch;
  ASSERT_TRUE(json::parse(R"([
      {"op": "replace", "path": "/subject/reference", "value": "urn:uuid:p1"},
      {"op": "add", "path": "/performer/-", "value": {"reference": "urn:oid:1.2.3", "display": "urn:uuid:p1"}},
      {"op": "add", "path": "/note/0/text", "value": "urn:uuid:unknown"},
      {"op": "remove", "path": "/issued"},
      {"op": "replace", "path": "/focus", "value": [{"reference": "Patient?identifier=x|1"}]}])",
                          patch));
  std::vector<std::pair<std::string, ReferenceSite>> seen;
  size_t n = rewrite_patch_references(patch, patch.GetAllocator(), [&](std::string_view v, ReferenceSite site) {
    seen.emplace_back(std::string(v), site);
    if (site == ReferenceSite::Reference && v.starts_with("Patient?")) return std::optional<std::string>("Patient/m");
    auto it = kMap.find(std::string(v));
    return it == kMap.end() ? std::nullopt : std::optional<std::string>(it->second);
  });
  const std::string out = json::to_string(patch);
  // A display equal to a fullUrl is a uri site: exact fullUrls change there, as everywhere.
  EXPECT_EQ(n, 4u) << out;
  EXPECT_NE(out.find(R"("path":"/subject/reference","value":"Patient/abc")"), std::string::npos) << out;
  EXPECT_NE(out.find(R"({"reference":"Organization/o1")"), std::string::npos) << out;
  EXPECT_NE(out.find(R"("value":"urn:uuid:unknown")"), std::string::npos) << out;
  EXPECT_NE(out.find(R"([{"reference":"Patient/m"}])"), std::string::npos) << out;
  EXPECT_EQ(seen[0].second, ReferenceSite::Reference);  // a value replacing a .reference element
  EXPECT_EQ(seen[2].second, ReferenceSite::Uri);        // a display
}

TEST(BundleReferences, LargeResourceIsLinear) {
  // 20,000 references: one pass, one lookup each.
  std::string text = R"({"resourceType": "Group", "type": "person", "actual": true, "member": [)";
  for (int i = 0; i < 20000; ++i) text += std::string(i ? "," : "") + R"({"entity": {"reference": "urn:uuid:p1"}})";
  text += "]}";
  auto [out, n] = rewrite(text, kMap);
  EXPECT_EQ(n, 20000u);
}

}  // namespace
}  // namespace healthd::fhir
