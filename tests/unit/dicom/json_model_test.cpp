// The DICOM JSON model on synthesized instances (edge_cases.cpp): the exact values, paths and
// bulk data rules. pydicom_json_test.cpp compares the same files with pydicom.
#include "dicom/json_model.h"

#include <gtest/gtest.h>

#include "dicom/bulk.h"
#include "dicom/instance.h"
#include "test_support.h"

namespace healthd::dicom {
namespace {

class dicomJsonModel : public ::testing::Test {
 protected:
  void SetUp() override { testing::write_edge_cases(dir_.path); }

  json::Document model(const std::string& name, const JsonOptions& options = {"B", 0, 0}) {
    std::string error;
    auto instance = Instance::open(dir_.path + "/" + name, &error);
    EXPECT_TRUE(instance) << error;
    json::Document doc;
    if (instance) {
      EXPECT_TRUE(to_dicom_json(*instance, options, doc, doc.GetAllocator(), &error)) << error;
    }
    return doc;
  }

  static std::string element(const json::Document& doc, const char* tag) {
    const json::Value* v = json::get_member(doc, tag);
    return v ? json::to_string(*v) : "(absent)";
  }

  testing::TempDir dir_;
};

TEST_F(dicomJsonModel, PersonNamesHaveTheirComponentGroups) {
  auto utf8 = model("synth-utf8.dcm");
  EXPECT_EQ(element(utf8, "00100010"),
            R"({"vr":"PN","Value":[{"Alphabetic":"Yamada^Tarou","Ideographic":"山田^太郎","Phonetic":"やまだ^たろう"}]})");
  EXPECT_EQ(element(utf8, "00080090"), R"({"vr":"PN","Value":[{"Alphabetic":"","Ideographic":"Ideographic^Only"}]})");
  // PS3.5 H.3.1, ISO 2022 IR 87: the same name as escape sequences
  EXPECT_EQ(element(model("synth-jis.dcm"), "00100010"), element(utf8, "00100010"));
  EXPECT_EQ(element(model("synth-gb18030.dcm"), "00100010"),
            R"({"vr":"PN","Value":[{"Alphabetic":"Wang^XiaoDong","Ideographic":"王^小东"}]})");
  EXPECT_EQ(element(model("synth-values.dcm"), "00091009"),
            R"({"vr":"UR","Value":["http://example.org/x"]})");
  EXPECT_EQ(element(model("synth-values.dcm"), "0009100B"),
            R"({"vr":"PN","Value":[{"Alphabetic":"Doe^John"},{"Alphabetic":"Roe^Jane"}]})");
}

TEST_F(dicomJsonModel, TextIsDecodedSplitAndTrimmed) {
  auto latin1 = model("synth-latin1.dcm");
  EXPECT_EQ(element(latin1, "00100010"), R"({"vr":"PN","Value":[{"Alphabetic":"Müller^Jürgen"}]})");
  EXPECT_EQ(element(latin1, "00081030"), R"({"vr":"LO","Value":["Crâne"," été"]})");
  EXPECT_EQ(element(latin1, "00082111"), R"({"vr":"ST","Value":["a\\b is one value"]})");
  EXPECT_EQ(element(model("synth-utf8.dcm"), "00081030"), R"({"vr":"LO","Value":["α","β"]})");
  auto values = model("synth-values.dcm");
  EXPECT_EQ(element(values, "00080008"), R"({"vr":"CS","Value":["ORIGINAL",null,"AXIAL"]})");
  EXPECT_EQ(element(values, "00081010"), R"({"vr":"SH"})");
  EXPECT_EQ(element(values, "00091008"), R"({"vr":"AE","Value":["STORE SCP"]})");
  EXPECT_EQ(element(values, "0009100A"), R"({"vr":"UT","Value":["long text\\not split"]})");
  EXPECT_EQ(element(values, "0009100C"), R"({"vr":"DA","Value":["20240101","20241231"]})");
}

TEST_F(dicomJsonModel, NumbersAreNumbers) {
  auto v = model("synth-values.dcm");
  EXPECT_EQ(element(v, "00180050"), R"({"vr":"DS","Value":[1.5]})");
  EXPECT_EQ(element(v, "00200032"), R"({"vr":"DS","Value":[1000.0,-2.25,7.0]})");
  EXPECT_EQ(element(v, "00200037"), R"({"vr":"DS","Value":[1.0,null,0.0]})");
  EXPECT_EQ(element(v, "00200013"), R"({"vr":"IS","Value":[12]})");
  EXPECT_EQ(element(v, "00200012"), "(absent)");  // "1A": not a number
  EXPECT_EQ(element(v, "00181310"), R"({"vr":"US","Value":[0,256,65535,0]})");
  EXPECT_EQ(element(v, "00091001"), R"({"vr":"SS","Value":[-32768,32767]})");
  EXPECT_EQ(element(v, "00091002"), R"({"vr":"UL","Value":[4294967295]})");
  EXPECT_EQ(element(v, "00091003"), R"({"vr":"SL","Value":[-2147483648]})");
  EXPECT_EQ(element(v, "00091004"), R"({"vr":"FL","Value":[0.10000000149011612,-2.5]})");
  EXPECT_EQ(element(v, "00091005"), R"({"vr":"FD","Value":[0.1,1e300]})");
  EXPECT_EQ(element(v, "00091006"), R"({"vr":"SV","Value":[-9223372036854775808]})");
  EXPECT_EQ(element(v, "00091007"), R"({"vr":"UV","Value":[18446744073709551615]})");
  EXPECT_EQ(element(v, "00280009"), R"({"vr":"AT","Value":["00181063","00540010"]})");
}

TEST_F(dicomJsonModel, SequencesAndGroupLengths) {
  auto v = model("synth-values.dcm");
  EXPECT_EQ(element(v, "00081110"), R"({"vr":"SQ"})");  // empty sequence: no Value
  EXPECT_EQ(element(v, "00081140"),
            R"({"vr":"SQ","Value":[)"
            R"({"00081150":{"vr":"UI","Value":["1.2.840.10008.5.1.4.1.1.2"]},"00081155":{"vr":"UI","Value":["1.2.3.9.1"]},)"
            R"("00090010":{"vr":"LO","Value":["HEALTHD TEST"]},"00091010":{"vr":"OB","BulkDataURI":"B/00081140/0/00091010"}},)"
            R"({"00081150":{"vr":"UI","Value":["1.2.840.10008.5.1.4.1.1.2"]},"00081155":{"vr":"UI","Value":["1.2.3.9.2"]},)"
            R"("00090010":{"vr":"LO","Value":["HEALTHD TEST"]},"00091010":{"vr":"OB","BulkDataURI":"B/00081140/1/00091010"}}]})");
  for (auto& m : v.GetObject()) EXPECT_NE(std::string(m.name.GetString()).substr(4), "0000");
}

TEST_F(dicomJsonModel, BinaryValuesAreBulkOrInline) {
  auto bulk = model("synth-values.dcm", {"http://h/bulk", 0, 0});
  EXPECT_EQ(element(bulk, "00091010"), R"({"vr":"OB","BulkDataURI":"http://h/bulk/00091010"})");
  EXPECT_EQ(element(bulk, "00091015"), R"({"vr":"OB"})");  // empty: nothing to fetch
  EXPECT_EQ(element(model("synth-values.dcm", {"", 0, 0}), "00091010"), R"({"vr":"OB","BulkDataURI":"00091010"})");
  // at most 4 bytes inline: OB 01 02 03 04, OW 0x0102 0x0304 as little endian
  for (const char* file : {"synth-values.dcm", "synth-values-bigendian.dcm"}) {
    auto in = model(file, {"B", 4, 0});
    EXPECT_EQ(element(in, "00091010"), R"({"vr":"OB","InlineBinary":"AQIDBA=="})") << file;
    EXPECT_EQ(element(in, "00091011"), R"({"vr":"OW","InlineBinary":"AgEEAw=="})") << file;
    EXPECT_EQ(element(in, "00091013"), R"({"vr":"OD","BulkDataURI":"B/00091013"})") << file;  // 8 bytes
  }
}

TEST_F(dicomJsonModel, LongValuesCanBeBulkToo) {
  auto v = model("synth-values.dcm", {"B", 0, 256});
  EXPECT_EQ(element(v, "00091016"), R"({"vr":"LT","BulkDataURI":"B/00091016"})");
  EXPECT_EQ(element(v, "00100010"), R"({"vr":"PN","Value":[{"Alphabetic":"Doe^Jane"}]})");
}

TEST_F(dicomJsonModel, BulkValuesReadBackByPath) {
  for (const char* file : {"synth-values.dcm", "synth-values-bigendian.dcm"}) {
    auto instance = Instance::open(dir_.path + "/" + file, nullptr);
    ASSERT_TRUE(instance);
    auto read = [&](std::string_view path) {
      std::string out, error;
      bool ok = read_bulk(*instance, path, [&](const char* d, size_t n) { out.append(d, n); return true; }, &error);
      return ok ? out : "error: " + error;
    };
    EXPECT_EQ(read("00091010"), std::string("\x01\x02\x03\x04", 4));
    EXPECT_EQ(read("00091011"), std::string("\x02\x01\x04\x03", 4));  // little endian
    EXPECT_EQ(read("00081140/1/00091010"), std::string("\x09\x08", 2));
    EXPECT_EQ(read("00091016"), std::string(300, 'x'));
    uint64_t size = 0;
    EXPECT_TRUE(bulk_size(*instance, "00091013", &size, nullptr));
    EXPECT_EQ(size, 8u);
    EXPECT_EQ(read("0009101F"), "error: no element 0009101F");
    EXPECT_EQ(read("00081140/2/00091010"), "error: no item 2");
    EXPECT_EQ(read("00081140/x/00091010"), "error: bad path: \"x\" is not an item number");
    EXPECT_EQ(read("00081140/0"), "error: bad path: ends with an item number");
    EXPECT_EQ(read("00081140"), "error: a sequence has no bulk value");
    EXPECT_EQ(read("00091010/0/00091010"), "error: not a sequence");
    EXPECT_EQ(read(""), "error: bad path: \"\" is not a tag");
    std::string error;
    EXPECT_FALSE(read_bulk(*instance, "00091010", [](const char*, size_t) { return false; }, &error));
    EXPECT_EQ(error, "stopped");
  }
}

TEST_F(dicomJsonModel, TextForm) {
  auto instance = Instance::open(dir_.path + "/synth-utf8.dcm", nullptr);
  ASSERT_TRUE(instance);
  std::string text = to_dicom_json_text(*instance, {});
  json::Document doc;
  ASSERT_TRUE(json::parse(text, doc));
  EXPECT_EQ(json::to_string(doc["0020000D"]), R"({"vr":"UI","Value":["1.2.3.4.5.6.1"]})");
}

}  // namespace
}  // namespace healthd::dicom
