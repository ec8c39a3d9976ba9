// Extended query tags: validation of an add request, and QIDO conditions on them (exact,
// numeric, DT ranges, wildcard; status and QueryStatus gates).
#include <gtest/gtest.h>

#include <map>

#include "dicom/extended_query_tags.h"
#include "dicom/qido_match.h"
#include "dicom/qido_query.h"

namespace healthd::dicom {
namespace {

std::string add_error(const std::string& body) {
  std::vector<NewExtendedQueryTag> tags;
  std::string error;
  EXPECT_FALSE(parse_add_extended_query_tags(body, tags, &error)) << body;
  return error;
}

bool has(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

TEST(dicomExtendedQueryTags, AddRequestReadsTagsKeywordsAndPrivateTags) {
  std::vector<NewExtendedQueryTag> tags;
  std::string error;
  ASSERT_TRUE(parse_add_extended_query_tags(
      R"([{"path": "00101010", "level": "Study"},
          {"Path": "Manufacturer", "VR": "LO", "Level": "series"},
          {"path": "04011001", "vr": "SS", "privateCreator": "MicrosoftPC", "level": "Instance"},
          {"path": "PatientSex", "level": "Study", "vr": null}])",
      tags, &error))
      << error;
  ASSERT_EQ(tags.size(), 4u);
  EXPECT_EQ(tags[0].tag, 0x00101010u);
  EXPECT_EQ(tags[0].vr, "AS");  // from the dictionary
  EXPECT_EQ(tags[0].level, Level::Study);
  EXPECT_EQ(tags[1].tag, 0x00080070u);
  EXPECT_EQ(tags[1].level, Level::Series);
  EXPECT_EQ(tags[2].private_creator, "MicrosoftPC");
  EXPECT_EQ(tags[2].vr, "SS");
  EXPECT_EQ(tags[2].level, Level::Instance);
  EXPECT_EQ(tags[3].tag, 0x00100040u);  // indexed but not searchable: may be added
}

TEST(dicomExtendedQueryTags, AddRequestErrorsSayWhy) {
  EXPECT_TRUE(has(add_error("{"), "not valid JSON"));
  EXPECT_TRUE(has(add_error("[]"), "non-empty JSON array"));
  EXPECT_TRUE(has(add_error(R"({"path": "00101010"})"), "non-empty JSON array"));
  EXPECT_TRUE(has(add_error(R"([{"level": "Study"}])"), "path is required"));
  EXPECT_TRUE(has(add_error(R"([{"path": "00101010"}])"), "level is required"));
  EXPECT_TRUE(has(add_error(R"([{"path": "00101010", "level": "Patient"}])"), "not one of Study"));
  EXPECT_TRUE(has(add_error(R"([{"path": "NoSuchKeyword", "level": "Study"}])"), "not a tag"));
  EXPECT_TRUE(has(add_error(R"([{"path": "00081110.00081150", "level": "Study"}])"), "not a tag"));
  EXPECT_TRUE(has(add_error(R"([{"path": "00101010", "level": "Study", "color": "red"}])"), "unknown member 'color'"));
  // already searchable without an extended query tag
  EXPECT_TRUE(has(add_error(R"([{"path": "PatientName", "level": "Study"}])"), "already searchable"));
  EXPECT_TRUE(has(add_error(R"([{"path": "0020000D", "level": "Study"}])"), "already searchable"));
  // the VR: the dictionary's, one of the supported set
  EXPECT_TRUE(has(add_error(R"([{"path": "00101010", "vr": "LO", "level": "Study"}])"), "which is AS"));
  EXPECT_TRUE(has(add_error(R"([{"path": "00081030", "level": "Study"}])"), "already searchable"));
  EXPECT_TRUE(has(add_error(R"([{"path": "00081032", "level": "Study"}])"), "VR SQ"));  // ProcedureCodeSequence
  EXPECT_TRUE(has(add_error(R"([{"path": "7FE00010", "level": "Instance"}])"), "cannot be indexed"));
  EXPECT_TRUE(has(add_error(R"([{"path": "00020010", "level": "Instance"}])"), "cannot be indexed"));
  // private tags: creator and VR required, creator elements refused, standard tags take no creator
  EXPECT_TRUE(has(add_error(R"([{"path": "04011001", "vr": "SS", "level": "Study"}])"), "privateCreator is required"));
  EXPECT_TRUE(has(add_error(R"([{"path": "04011001", "privateCreator": "X", "level": "Study"}])"), "vr is required"));
  EXPECT_TRUE(has(add_error(R"([{"path": "04010010", "vr": "LO", "privateCreator": "X", "level": "Study"}])"),
                  "private creator"));
  EXPECT_TRUE(has(add_error(R"([{"path": "04011001", "vr": "OB", "privateCreator": "X", "level": "Study"}])"),
                  "cannot be indexed"));
  EXPECT_TRUE(has(add_error(R"([{"path": "00101010", "privateCreator": "X", "level": "Study"}])"),
                  "only for private tags"));
  // duplicates within a request
  EXPECT_TRUE(has(add_error(R"([{"path": "00101010", "level": "Study"}, {"path": "PatientAge", "level": "Series"}])"),
                  "more than once"));
  // at most 128
  std::string many = "[";
  for (int i = 0; i < 129; ++i) many += std::string(i ? "," : "") + R"({"path": "00101010", "level": "Study"})";
  EXPECT_TRUE(has(add_error(many + "]"), "At most 128"));
}

ExtendedQueryTagEntry entry(Tag tag, const std::string& vr, Level level, TagStatus status = TagStatus::Ready,
                            QueryStatus query = QueryStatus::Enabled) {
  ExtendedQueryTagEntry e;
  e.key = tag;
  e.tag = tag;
  e.path = tag_hex(tag);
  e.vr = vr;
  e.level = level;
  e.status = status;
  e.query_status = query;
  return e;
}

const std::vector<ExtendedQueryTagEntry> kTags = {
    entry(0x00101010, "AS", Level::Study),             // PatientAge
    entry(0x00181050, "DS", Level::Series),            // SpatialResolution
    entry(0x0008002A, "DT", Level::Instance),          // AcquisitionDateTime
    entry(0x00080070, "LO", Level::Series),            // Manufacturer
    entry(0x00100040, "CS", Level::Study),             // PatientSex (indexed, not standard-searchable)
    entry(0x00101020, "DS", Level::Study, TagStatus::Adding),                          // PatientSize
    entry(0x00101030, "DS", Level::Study, TagStatus::Ready, QueryStatus::Disabled),  // PatientWeight
};

// Parses params at level with kTags; the row carries `values` for q.extended (by tag).
bool match(const std::vector<std::pair<std::string, std::string>>& params, const std::map<Tag, std::string>& values,
           Level level = Level::Instance) {
  QidoQuery q;
  std::string error;
  EXPECT_TRUE(parse_qido_query(params, level, q, &error, kTags)) << error;
  IndexRow row;
  for (const auto& e : q.extended) {
    auto it = values.find(e.tag);
    row.attributes.extended.push_back(it == values.end() ? std::nullopt : std::optional<std::string>(it->second));
  }
  return matches_row(q, row);
}

std::string qido_error(const std::vector<std::pair<std::string, std::string>>& params, Level level = Level::Instance) {
  QidoQuery q;
  std::string error;
  EXPECT_FALSE(parse_qido_query(params, level, q, &error, kTags));
  return error;
}

TEST(dicomExtendedQueryTags, QidoMatchesExtendedValues) {
  EXPECT_TRUE(match({{"PatientAge", "035Y"}}, {{0x00101010, "035Y"}}));
  EXPECT_FALSE(match({{"00101010", "035Y"}}, {{0x00101010, "036Y"}}));
  EXPECT_FALSE(match({{"PatientAge", "035Y"}}, {}));
  EXPECT_TRUE(match({{"PatientSex", "F"}}, {{0x00100040, "F"}}));
  // numbers compare as numbers
  EXPECT_TRUE(match({{"SpatialResolution", "0.5"}}, {{0x00181050, ".50"}}));
  EXPECT_FALSE(match({{"SpatialResolution", "0.5"}}, {{0x00181050, "0.6"}}));
  // wildcards on strings
  EXPECT_TRUE(match({{"Manufacturer", "GE*"}}, {{0x00080070, "GE MEDICAL SYSTEMS"}}));
  // DT: single values and ranges at any precision
  EXPECT_TRUE(match({{"AcquisitionDateTime", "20200315-20200316"}}, {{0x0008002A, "20200315123000.5"}}));
  EXPECT_TRUE(match({{"AcquisitionDateTime", "2020-"}}, {{0x0008002A, "20211231"}}));
  EXPECT_FALSE(match({{"AcquisitionDateTime", "-2019"}}, {{0x0008002A, "20200101"}}));
  EXPECT_TRUE(match({{"AcquisitionDateTime", "20200315120000-20200315130000"}}, {{0x0008002A, "20200315123000+0100"}}));
  EXPECT_TRUE(match({{"AcquisitionDateTime", "20200315123000"}}, {{0x0008002A, "20200315123000"}}));
  // searching returns the attribute; includefield=all adds every searchable one of the level
  QidoQuery q;
  std::string error;
  ASSERT_TRUE(parse_qido_query({{"includefield", "all"}}, Level::Study, q, &error, kTags)) << error;
  ASSERT_EQ(q.extended.size(), 2u);  // study level: PatientAge, PatientSex (not Adding, not Disabled)
}

TEST(dicomExtendedQueryTags, QidoRefusesTagsNotSearchable) {
  EXPECT_TRUE(has(qido_error({{"PatientSize", "1.8"}}), "not searchable yet"));
  EXPECT_TRUE(has(qido_error({{"PatientWeight", "80"}}), "Disabled"));
  EXPECT_TRUE(has(qido_error({{"AcquisitionDateTime", "2020"}}, Level::Study), "instance-level"));
  EXPECT_TRUE(has(qido_error({{"SpatialResolution", "fine"}}), "not a number"));
  EXPECT_TRUE(has(qido_error({{"AcquisitionDateTime", "2020x"}}), "not a valid DT"));
  EXPECT_TRUE(has(qido_error({{"PatientState", "x"}}), "add it as an extended query tag"));
}

}  // namespace
}  // namespace healthd::dicom
