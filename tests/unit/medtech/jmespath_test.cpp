// JMESPath: API behaviour (errors, no copies, result lifetime), MedTech template expressions, and
// hostile input.
#include <gtest/gtest.h>

#include <thread>

#include "json/json.h"
#include "medtech/jmespath.h"

namespace jp = healthd::medtech::jmespath;

namespace {

rapidjson::Document doc(const char* text) {
  rapidjson::Document d;
  EXPECT_TRUE(healthd::json::parse(text, d)) << text;
  return d;
}

// The result as compact JSON, or "error(kind)".
std::string run(const char* expr, const rapidjson::Value& input) {
  jp::Error err;
  auto e = jp::Expression::parse(expr, &err);
  if (!e) return std::string("parse-error(") + jp::to_string(err.kind) + ")";
  jp::Result r = e->evaluate(input);
  if (!r.ok()) return std::string("error(") + jp::to_string(r.error().kind) + ")";
  return healthd::json::to_string(r.value());
}

}  // namespace

TEST(JmesPath, TemplateExpressions) {
  auto msg = doc(R"({"heartrate": "78", "device": "d1", "date": "2021-01-01T00:00:00Z"})");
  EXPECT_EQ(run("to_array(@)[?heartrate]", msg), "[" + healthd::json::to_string(msg) + "]");
  EXPECT_EQ(run("to_array(@)[?steps]", msg), "[]");
  auto batch = doc(R"([{"heartrate": 1}, {"steps": 2}, {"heartrate": 3}])");
  EXPECT_EQ(run("to_array(@)[?heartrate].heartrate", batch), "[1,3]");
  auto matched = doc(R"({"Body": {}, "matchedToken": {"height": "78", "device": "d1"}})");
  EXPECT_EQ(run("matchedToken.device", matched), R"("d1")");
  EXPECT_EQ(run("multiply(to_number(matchedToken.height), `0.0254`)", matched), "1.9811999999999999");  // 78 * 0.0254
  EXPECT_EQ(run("insertString('123', 'patient', `0`) ", matched), R"("patient123")");
}

TEST(JmesPath, SubValuesAreNotCopied) {
  auto d = doc(R"({"a": {"b": [1, 2, {"c": "x"}]}})");
  auto e = jp::Expression::parse("a.b[2]");
  ASSERT_TRUE(e);
  jp::Result r = e->evaluate(d);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(&r.value(), &d["a"]["b"][2]);
  // Built values live in the Result; copy() makes them independent of the input.
  auto p = jp::Expression::parse("a.b[*]");
  jp::Result r2 = p->evaluate(d);
  rapidjson::Document out;
  rapidjson::Value copy = r2.copy(out.GetAllocator());
  d.SetNull();
  EXPECT_EQ(healthd::json::to_string(copy), R"([1,2,{"c":"x"}])");
}

TEST(JmesPath, ParseErrorsHaveKindAndColumn) {
  jp::Error err;
  EXPECT_FALSE(jp::Expression::parse("foo.bar[", &err));
  EXPECT_EQ(err.kind, jp::ErrorKind::Syntax);
  EXPECT_EQ(err.column, 9u) << err.message;
  EXPECT_FALSE(jp::Expression::parse("a | nosuch(@)", &err));
  EXPECT_EQ(err.kind, jp::ErrorKind::UnknownFunction);
  EXPECT_EQ(err.column, 5u) << err.message;
  EXPECT_NE(err.message.find("nosuch"), std::string::npos);
  EXPECT_FALSE(jp::Expression::parse("add(`1`)", &err));
  EXPECT_EQ(err.kind, jp::ErrorKind::InvalidArity);
  EXPECT_FALSE(jp::Expression::parse("'unterminated", &err));
  EXPECT_EQ(err.kind, jp::ErrorKind::Syntax);
  EXPECT_EQ(err.column, 1u);
}

TEST(JmesPath, EvaluationErrorsHaveKindAndColumn) {
  auto d = doc(R"({"s": "text"})");
  auto e = jp::Expression::parse("length(@) + abs(s)");
  EXPECT_FALSE(e);  // '+' is not JMESPath
  e = jp::Expression::parse("s || abs(s)");
  ASSERT_TRUE(e);
  EXPECT_TRUE(e->evaluate(d).ok());  // short-circuit: abs never runs
  e = jp::Expression::parse("abs(s)");
  jp::Result r = e->evaluate(d);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.error().kind, jp::ErrorKind::InvalidType);
  EXPECT_EQ(r.error().column, 1u);
  EXPECT_TRUE(r.value().IsNull());
}

TEST(JmesPath, HostileInputIsRejected) {
  jp::Error err;
  std::string parens(100000, '(');
  EXPECT_FALSE(jp::Expression::parse(parens, &err));
  std::string chain = "a";
  for (int i = 0; i < 50000; ++i) chain += ".a";
  EXPECT_FALSE(jp::Expression::parse(chain, &err));
  EXPECT_NE(err.message.find("nested too deeply"), std::string::npos) << err.message;
  std::string ors = "a";
  for (int i = 0; i < 50000; ++i) ors += " || a";
  EXPECT_FALSE(jp::Expression::parse(ors, &err));
  std::string brackets(50000, '[');
  EXPECT_FALSE(jp::Expression::parse(brackets, &err));
}

TEST(JmesPath, ConcurrentEvaluationOfOneExpression) {
  auto e = jp::Expression::parse("items[?v > `1`].{name: n, twice: multiply(v, `2`)}");
  ASSERT_TRUE(e);
  auto d = doc(R"({"items": [{"n": "a", "v": 1}, {"n": "b", "v": 2}, {"n": "c", "v": 3}]})");
  std::vector<std::thread> threads;
  std::atomic<int> bad{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 2000; ++i) {
        jp::Result r = e->evaluate(d);
        if (!r.ok() || healthd::json::to_string(r.value()) != R"([{"name":"b","twice":4},{"name":"c","twice":6}])")
          ++bad;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(bad.load(), 0);
}
