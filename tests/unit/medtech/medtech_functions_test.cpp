// The MedTech extra JMESPath functions: examples of the MedTech documentation ("How to use custom
// functions") and the behaviour of the IoMT FHIR connector's implementation.
#include <gtest/gtest.h>

#include "json/json.h"
#include "medtech/jmespath.h"

namespace jp = healthd::medtech::jmespath;

namespace {

// Evaluates expr on the JSON `given`; the result as compact JSON, or "error(kind)".
std::string run(const char* expr, const char* given = "{}") {
  rapidjson::Document d;
  EXPECT_TRUE(healthd::json::parse(given, d)) << given;
  jp::Error err;
  auto e = jp::Expression::parse(expr, &err);
  if (!e) return std::string("parse-error(") + jp::to_string(err.kind) + ")";
  jp::Result r = e->evaluate(d);
  if (!r.ok()) return std::string("error(") + jp::to_string(r.error().kind) + ")";
  return healthd::json::to_string(r.value());
}

constexpr const char* kLeftRight = R"({"left": 40, "right": 50})";
constexpr const char* kZeroLeft = R"({"left": 0, "right": 50})";

}  // namespace

TEST(MedTechFunctions, Add) {
  EXPECT_EQ(run("add(`10`, `10`)"), "20");
  EXPECT_EQ(run("add(left, right)", kLeftRight), "90");
  EXPECT_EQ(run("add(left, right)", kZeroLeft), "50");
  EXPECT_EQ(run("add(`-1.0`, `10.5`)"), "9.5");
  EXPECT_EQ(run("add(`-1`, `10.5`)"), "9.5");  // mixed: double
  EXPECT_EQ(run("add(`0`, `9223372036854775807`)"), "9223372036854775807");
  EXPECT_EQ(run("add(`1`, `9223372036854775807`)"), "error(arithmetic)");  // must fit a long
  EXPECT_EQ(run("add(left, right)", R"({"left": "bad", "right": 100})"), "error(invalid-type)");
  EXPECT_EQ(run("add(left, right)", R"({"left": [1, 2], "right": 100})"), "error(invalid-type)");
  EXPECT_EQ(run("add(left, right)", R"({"left": {"value": 1}, "right": 100})"), "error(invalid-type)");
  EXPECT_EQ(run("add()"), "parse-error(invalid-arity)");
  EXPECT_EQ(run("add(left"), "parse-error(syntax)");
  EXPECT_EQ(run("add(left, right, up)"), "parse-error(invalid-arity)");
}

TEST(MedTechFunctions, Subtract) {
  EXPECT_EQ(run("subtract(`10`, `10`)"), "0");
  EXPECT_EQ(run("subtract(left, right)", kLeftRight), "-10");
  EXPECT_EQ(run("subtract(left, right)", kZeroLeft), "-50");
  EXPECT_EQ(run("subtract(`1.5`, `1`)"), "0.5");
  EXPECT_EQ(run("subtract(`-9223372036854775808`, `1`)"), "error(arithmetic)");
}

TEST(MedTechFunctions, Multiply) {
  EXPECT_EQ(run("multiply(`10`, `10`)"), "100");
  EXPECT_EQ(run("multiply(left, right)", kLeftRight), "2000");
  EXPECT_EQ(run("multiply(left, right)", kZeroLeft), "0");
  EXPECT_EQ(run("multiply(`4294967296`, `4294967296`)"), "error(arithmetic)");
  EXPECT_EQ(run("multiply(to_number('78'), `0.5`)"), "39.0");
}

TEST(MedTechFunctions, Divide) {
  EXPECT_EQ(run("divide(`10`, `10`)"), "1");
  EXPECT_EQ(run("divide(`100`, `25`)"), "4");
  EXPECT_EQ(run("divide(`100`, `-1`)"), "-100");
  EXPECT_EQ(run("divide(left, right)", kZeroLeft), "0");
  // Two integers divide as C# longs (truncating), as the connector does; a decimal operand gives a
  // decimal result. (The documentation's table shows 0.8 for 40/50; the implementation gives 0.)
  EXPECT_EQ(run("divide(left, right)", kLeftRight), "0");
  EXPECT_EQ(run("divide(`40.0`, `50`)"), "0.8");
  EXPECT_EQ(run("divide(`50`, `0`)"), "error(arithmetic)");
  EXPECT_EQ(run("divide(`50.0`, `0`)"), "error(arithmetic)");
}

TEST(MedTechFunctions, Pow) {
  EXPECT_EQ(run("pow(`10`, `10`)"), "10000000000");
  EXPECT_EQ(run("pow(left, right)", kLeftRight), "error(arithmetic)");  // overflow
  EXPECT_EQ(run("pow(left, right)", kZeroLeft), "0");
  EXPECT_EQ(run("pow(`100`, `0.5`)"), "10.0");
  EXPECT_EQ(run("pow(`0`, `0`)"), "1");
  EXPECT_EQ(run("pow(`10`, `2`)"), "100");
  EXPECT_EQ(run("pow(`100.0`, `-2`)"), "0.0001");
  EXPECT_EQ(run("pow(`2`, `-1`)"), "0");  // Convert.ToInt64(0.5): ties to even
  EXPECT_EQ(run("pow(`9223372036854775807`, `10`)"), "error(arithmetic)");
  EXPECT_EQ(run("pow(`\"bad\"`, `100`)"), "error(invalid-type)");
}

TEST(MedTechFunctions, InsertString) {
  EXPECT_EQ(run("insertString(original, toInsert, pos)", R"({"original": "mple", "toInsert": "sa", "pos": 0})"),
            R"("sample")");
  EXPECT_EQ(run("insertString(original, toInsert, pos)", R"({"original": "suess", "toInsert": "cc", "pos": 2})"),
            R"("success")");
  EXPECT_EQ(run("insertString(original, toInsert, pos)", R"({"original": "myString", "toInsert": "!!", "pos": 8})"),
            R"("myString!!")");
  EXPECT_EQ(run("insertString(original, toInsert, length(original))", R"({"original": "myString", "toInsert": "!!"})"),
            R"("myString!!")");
  EXPECT_EQ(run("insertString(original, toInsert, length(original))", R"({"original": "sample ", "toInsert": "text"})"),
            R"("sample text")");
  EXPECT_EQ(run("insertString(original, toInsert, pos)", R"({"original": "myString", "toInsert": "!!", "pos": 100})"),
            "error(invalid-value)");
  EXPECT_EQ(run("insertString(original, toInsert, pos)", R"({"original": "myString", "toInsert": "!!", "pos": 9})"),
            "error(invalid-value)");
  EXPECT_EQ(run("insertString(original, toInsert, pos)", R"({"original": "ppy", "toInsert": "ha", "pos": -1})"),
            "error(invalid-value)");
  EXPECT_EQ(run("insertString('123', 'patient', `0`)"), R"("patient123")");
  EXPECT_EQ(run("insertString('héllo', '-', `2`)"), R"("hé-llo")");  // positions count characters
  // Wrong types: number original, number toInsert, decimal position, array, object.
  EXPECT_EQ(run("insertString(`6`, 'value', `0`)"), "error(invalid-type)");
  EXPECT_EQ(run("insertString('text', `123`, `0`)"), "error(invalid-type)");
  EXPECT_EQ(run("insertString('text', 'toInsert', `1.5`)"), "error(invalid-type)");
  EXPECT_EQ(run("insertString(`[1, 2, 3]`, 'value', `0`)"), "error(invalid-type)");
  EXPECT_EQ(run("insertString(`{\"bad\": \"value\"}`, 'value', `0`)"), "error(invalid-type)");
  EXPECT_EQ(run("insertString()"), "parse-error(invalid-arity)");
  EXPECT_EQ(run("insertString(original)"), "parse-error(invalid-arity)");
  EXPECT_EQ(run("insertString(original, toInsert)"), "parse-error(invalid-arity)");
  EXPECT_EQ(run("insertString(original, toInsert, pos, extraParam)"), "parse-error(invalid-arity)");
}

TEST(MedTechFunctions, AppendString) {
  EXPECT_EQ(run("appendString('sample ', 'text')"), R"("sample text")");
  EXPECT_EQ(run("appendString('a', `1`)"), "error(invalid-type)");
}

TEST(MedTechFunctions, FromUnixTimestamp) {
  EXPECT_EQ(run("fromUnixTimestamp(unix)", R"({"unix": 1625677200})"), R"("2021-07-07T17:00:00Z")");
  EXPECT_EQ(run("fromUnixTimestamp(unix)", R"({"unix": 0})"), R"("1970-01-01T00:00:00Z")");
  EXPECT_EQ(run("fromUnixTimestamp(unix)", R"({"unix": -1})"), R"("1969-12-31T23:59:59Z")");
  EXPECT_EQ(run("fromUnixTimestamp(`951782400`)"), R"("2000-02-29T00:00:00Z")");  // leap day
  EXPECT_EQ(run("fromUnixTimestamp(`253402300799`)"), R"("9999-12-31T23:59:59Z")");
  EXPECT_EQ(run("fromUnixTimestamp(`253402300800`)"), "error(invalid-value)");
  EXPECT_EQ(run("fromUnixTimestamp(`-62135596800`)"), R"("0001-01-01T00:00:00Z")");
  EXPECT_EQ(run("fromUnixTimestamp(unix)", R"({"unix": "badData"})"), "error(invalid-type)");
  EXPECT_EQ(run("fromUnixTimestamp(unix)", R"({"unix": [1, 2, 3]})"), "error(invalid-type)");
  EXPECT_EQ(run("fromUnixTimestamp(unix)", R"({"unix": {"value": 1}})"), "error(invalid-type)");
  EXPECT_EQ(run("fromUnixTimestamp(`1.5`)"), "error(invalid-type)");  // an integer is required
  EXPECT_EQ(run("fromUnixTimestamp()"), "parse-error(invalid-arity)");
  EXPECT_EQ(run("fromUnixTimestamp(timestamp, extraParam)"), "parse-error(invalid-arity)");
}

TEST(MedTechFunctions, FromUnixTimestampMs) {
  EXPECT_EQ(run("fromUnixTimestampMs(unix)", R"({"unix": 1626799080000})"), R"("2021-07-20T16:38:00Z")");
  EXPECT_EQ(run("fromUnixTimestampMs(unix)", R"({"unix": 0})"), R"("1970-01-01T00:00:00Z")");
  EXPECT_EQ(run("fromUnixTimestampMs(`1626799080123`)"), R"("2021-07-20T16:38:00.123Z")");
  EXPECT_EQ(run("fromUnixTimestampMs(`1626799080120`)"), R"("2021-07-20T16:38:00.12Z")");
  EXPECT_EQ(run("fromUnixTimestampMs(`-1`)"), R"("1969-12-31T23:59:59.999Z")");
  EXPECT_EQ(run("fromUnixTimestampMs('1626799080000')"), "error(invalid-type)");
}

TEST(MedTechFunctions, ComposeWithSpecFunctions) {
  auto given = R"({"systolic": "120", "diastolic": "80", "ts": 1625677200})";
  EXPECT_EQ(run("subtract(to_number(systolic), to_number(diastolic))", given), "40");
  EXPECT_EQ(run("{t: fromUnixTimestamp(ts), pp: divide(to_number(systolic), `2.0`)}", given),
            R"({"t":"2021-07-07T17:00:00Z","pp":60.0})");
}
