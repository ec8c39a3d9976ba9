// The R4 SearchParameter registry.
#include <gtest/gtest.h>

#include <algorithm>
#include <iostream>

#include "search/search_parameters.h"

namespace search = healthd::search;

namespace {
const search::SearchParameterRegistry& reg() {
  static auto r = search::SearchParameterRegistry::load(HEALTHD_DEFINITIONS_DIR);
  return *r;
}
}  // namespace

TEST(SearchRegistry, LoadsEveryR4Parameter) {
  const auto& r = reg();
  size_t compiled = 0, composites = 0, components = 0;
  for (const auto& p : r.all()) {
    if (p->compiled_ok) ++compiled;
    if (p->kind == search::ParamType::Composite) {
      ++composites;
      for (const auto& c : p->components) {
        EXPECT_TRUE(c.compiled_ok) << p->url << " " << c.expression;
        EXPECT_NE(c.param, nullptr) << p->url << " " << c.definition;
        ++components;
      }
    }
  }
  std::cout << "search parameters: " << r.size() << " loaded, " << compiled << " compiled, " << composites
            << " composite (" << components << " components), " << r.errors().size() << " errors\n";
  for (const auto& e : r.errors()) std::cout << "  " << e << "\n";
  EXPECT_EQ(r.size(), 1378u);
  EXPECT_EQ(compiled, 1375u);  // _text, _content, _query have no expression
  EXPECT_TRUE(r.errors().empty());
}

TEST(SearchRegistry, FindAndForType) {
  const auto& r = reg();
  const search::SearchParam* code = r.find("Observation", "code");
  ASSERT_NE(code, nullptr);
  EXPECT_EQ(code->type, "token");
  EXPECT_EQ(code->kind, search::ParamType::Token);
  EXPECT_NE(code->expression.find("Observation.code"), std::string::npos);
  EXPECT_EQ(r.find("Observation", "nope"), nullptr);

  const search::SearchParam* id = r.find("Patient", "_id");
  ASSERT_NE(id, nullptr);
  EXPECT_EQ(id->type, "token");
  ASSERT_NE(r.find("Bundle", "_lastUpdated"), nullptr);
  EXPECT_EQ(r.find("Bundle", "_text"), nullptr);  // Bundle is not a DomainResource
  EXPECT_NE(r.find("Patient", "_text"), nullptr);

  auto subject = r.find("Observation", "subject");
  ASSERT_NE(subject, nullptr);
  EXPECT_EQ(subject->kind, search::ParamType::Reference);
  EXPECT_FALSE(subject->target.empty());

  auto list = r.for_type("Patient");
  std::vector<std::string> codes;
  for (auto* p : list) codes.push_back(p->code);
  for (const char* c : {"name", "family", "birthdate", "identifier", "_id", "_lastUpdated", "_tag", "_profile",
                        "_security", "_source", "general-practitioner"})
    EXPECT_NE(std::find(codes.begin(), codes.end(), c), codes.end()) << c;
  EXPECT_EQ(r.by_url("http://hl7.org/fhir/SearchParameter/Patient-name"), r.find("Patient", "name"));
}

TEST(SearchRegistry, CompositeComponents) {
  const auto* p = reg().find("Observation", "code-value-quantity");
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->kind, search::ParamType::Composite);
  ASSERT_EQ(p->components.size(), 2u);
  ASSERT_NE(p->components[0].param, nullptr);
  EXPECT_EQ(p->components[0].param->code, "code");
  EXPECT_EQ(p->components[0].param->kind, search::ParamType::Token);
  ASSERT_NE(p->components[1].param, nullptr);
  EXPECT_EQ(p->components[1].param->kind, search::ParamType::Quantity);
}

TEST(SearchRegistry, UnionsOfOtherParameters) {
  const auto& r = reg();
  auto codes = [&](const char* type, const char* code) {
    std::vector<std::string> out;
    const search::SearchParam* p = r.find(type, code);
    if (p == nullptr) return out;
    for (const search::SearchParam* part : r.union_of(type, *p)) out.push_back(part->code);
    std::sort(out.begin(), out.end());
    return out;
  };
  using V = std::vector<std::string>;
  EXPECT_EQ(codes("Observation", "combo-code"), (V{"code", "component-code"}));
  // Four operands, two per part, written with parentheses.
  EXPECT_EQ(codes("Observation", "combo-value-quantity"), (V{"component-value-quantity", "value-quantity"}));
  EXPECT_EQ(codes("Observation", "combo-value-concept"), (V{"component-value-concept", "value-concept"}));
  // Composites: the same components over the union of the parts' items.
  EXPECT_EQ(codes("Observation", "combo-code-value-quantity"), (V{"code-value-quantity", "component-code-value-quantity"}));
  // The parts keep their rows; references are never unions (chains and _has name one parameter).
  EXPECT_EQ(codes("Observation", "code"), V{});
  EXPECT_EQ(codes("Observation", "component-code"), V{});
  EXPECT_EQ(codes("Observation", "combo-code-value-concept").size(), 2u);

  // Every union found: its parts cover its operands, none is itself a union.
  size_t unions = 0;
  for (const auto& p : r.all())
    for (const auto& type : p->base) {
      const search::SearchParam* own = r.find(type, p->code);
      if (own == nullptr) continue;
      auto parts = r.union_of(type, *own);
      if (parts.empty()) continue;
      ++unions;
      std::cout << "  union " << type << "." << p->code << " =";
      for (const search::SearchParam* part : parts) {
        std::cout << " " << part->code;
        EXPECT_EQ(part->kind, own->kind);
        EXPECT_TRUE(r.union_of(type, *part).empty()) << part->code;
        EXPECT_NE(part->kind, search::ParamType::Reference);
      }
      std::cout << "\n";
    }
  EXPECT_EQ(unions, 6u);  // the Observation combo-* parameters
}
