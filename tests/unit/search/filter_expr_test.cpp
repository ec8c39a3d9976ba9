// The _filter grammar: operators, and/or/not precedence, parentheses, paths with [filter] and
// chains, quoted strings, and the errors of malformed filters.
#include <gtest/gtest.h>

#include "search/filter_expr.h"

namespace search = healthd::search;
using search::FilterExpr;
using search::FilterOp;

namespace {

FilterExpr parse(std::string_view text) {
  std::string why;
  auto e = search::parse_filter(text, why);
  EXPECT_TRUE(e.has_value()) << text << ": " << why;
  return e ? *e : FilterExpr{};
}

std::string error(std::string_view text) {
  std::string why;
  auto e = search::parse_filter(text, why);
  EXPECT_FALSE(e.has_value()) << text;
  return why;
}

// A compact rendering of the tree: (and a b), (or ...), (not x), path op value.
std::string show(const FilterExpr& e) {
  switch (e.kind) {
    case FilterExpr::Kind::Compare: {
      std::string out;
      for (const auto& step : e.path) {
        if (!out.empty()) out += ".";
        out += step.name;
        if (step.filter) out += "[" + show(*step.filter) + "]";
      }
      return out + " " + std::string(search::filter_op_name(e.op)) + " <" + e.value + ">";
    }
    case FilterExpr::Kind::Not: return "(not " + show(e.children[0]) + ")";
    default: {
      std::string out = e.kind == FilterExpr::Kind::And ? "(and" : "(or";
      for (const auto& c : e.children) out += " " + show(c);
      return out + ")";
    }
  }
}

}  // namespace

TEST(FilterExpr, EveryOperatorParses) {
  for (std::string op : {"eq", "ne", "co", "sw", "ew", "gt", "lt", "ge", "le", "ap", "sa", "eb", "pr", "po", "ss",
                         "sb", "in", "ni", "re"}) {
    FilterExpr e = parse("name " + op + " x");
    EXPECT_EQ(search::filter_op_name(e.op), op);
    EXPECT_EQ(show(e), "name " + op + " <x>");
  }
  EXPECT_EQ(show(parse("birthdate GE 1990-01-01")), "birthdate ge <1990-01-01>");
}

TEST(FilterExpr, AndBindsTighterThanOr) {
  EXPECT_EQ(show(parse("a eq 1 or b eq 2 and c eq 3")), "(or a eq <1> (and b eq <2> c eq <3>))");
  EXPECT_EQ(show(parse("(a eq 1 or b eq 2) and c eq 3")), "(and (or a eq <1> b eq <2>) c eq <3>)");
  EXPECT_EQ(show(parse("a eq 1 and b eq 2 and c eq 3")), "(and a eq <1> b eq <2> c eq <3>)");
}

TEST(FilterExpr, NotTakesAParenthesizedFilter) {
  EXPECT_EQ(show(parse("not (a eq 1 or b eq 2)")), "(not (or a eq <1> b eq <2>))");
  EXPECT_EQ(show(parse("not(a eq 1) and b pr true")), "(and (not a eq <1>) b pr <true>)");
  // Without parentheses "not" is a parameter name.
  EXPECT_EQ(show(parse("not eq 1")), "not eq <1>");
}

TEST(FilterExpr, QuotedStringsKeepSpacesAndEscapes) {
  EXPECT_EQ(parse(R"(name eq "van der Berg")").value, "van der Berg");
  EXPECT_EQ(parse(R"(name co "say \"hi\" \\ A")").value, "say \"hi\" \\ A");
  EXPECT_EQ(parse(R"(name eq "a)b]c")").value, "a)b]c");
}

TEST(FilterExpr, TokensEndAtSpaceOrClosingBracket) {
  EXPECT_EQ(show(parse("(code eq http://loinc.org|1234-5)")), "code eq <http://loinc.org|1234-5>");
  EXPECT_EQ(show(parse("value-quantity gt 5.4|http://unitsofmeasure.org|mg")),
            "value-quantity gt <5.4|http://unitsofmeasure.org|mg>");
}

TEST(FilterExpr, PathsChainAndFilter) {
  EXPECT_EQ(show(parse("subject.name sw smi")), "subject.name sw <smi>");
  EXPECT_EQ(show(parse("subject[gender eq male].name co jo")), "subject[gender eq <male>].name co <jo>");
  EXPECT_EQ(show(parse("performer[name eq x or name eq y].organization.name eq z")),
            "performer[(or name eq <x> name eq <y>)].organization.name eq <z>");
}

TEST(FilterExpr, MalformedFiltersSayWhy) {
  EXPECT_NE(error("name xx smith").find("not a filter operator"), std::string::npos);
  EXPECT_NE(error("name eq").find("expected a space and a value"), std::string::npos);
  EXPECT_NE(error("(name eq x").find("expected ')'"), std::string::npos);
  EXPECT_NE(error("name eq \"open").find("not closed"), std::string::npos);
  EXPECT_NE(error("name eq x and").find("parameter name"), std::string::npos);
  EXPECT_NE(error("name eq x y").find("unexpected"), std::string::npos);
  EXPECT_NE(error("subject[name eq x.name eq y").find("expected ']'"), std::string::npos);
  EXPECT_NE(error("").find("parameter name"), std::string::npos);
  EXPECT_NE(error("1abc eq x").find("parameter name"), std::string::npos);
}

TEST(FilterExpr, DepthIsBounded) {
  std::string deep;
  for (int i = 0; i < 100; ++i) deep += "(";
  deep += "a eq 1";
  for (int i = 0; i < 100; ++i) deep += ")";
  EXPECT_NE(error(deep).find("nests deeper"), std::string::npos);
  std::string ok = "((((a eq 1))))";
  EXPECT_EQ(show(parse(ok)), "a eq <1>");
}
