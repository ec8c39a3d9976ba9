// QIDO-RS query parsing and matching: exact, wildcard, UID lists, ranges, fuzzy names.
#include <gtest/gtest.h>

#include "dicom/qido_match.h"
#include "dicom/qido_query.h"

namespace healthd::dicom {
namespace {

using Params = std::vector<std::pair<std::string, std::string>>;

QidoQuery parse(const Params& params, Level level = Level::Study) {
  QidoQuery q;
  std::string error;
  EXPECT_TRUE(parse_qido_query(params, level, q, &error)) << error;
  return q;
}

std::string parse_error(const Params& params, Level level = Level::Study) {
  QidoQuery q;
  std::string error;
  EXPECT_FALSE(parse_qido_query(params, level, q, &error));
  return error;
}

bool match(const Params& params, const IndexRow& row, Level level = Level::Study) {
  return matches_row(parse(params, level), row);
}

IndexRow row() {
  IndexRow r;
  r.attributes.study_instance_uid = "1.2.3";
  r.attributes.patient_name = "Müller^Jürgen^^Dr.";
  r.attributes.patient_id = "PID-7";
  r.attributes.study_date = "20200315";
  r.attributes.study_time = "093015.5";
  r.attributes.study_description = "CT Head";
  r.attributes.accession_number = "";
  r.attributes.series_instance_uid = "1.2.3.4";
  r.attributes.modality = "CT";
  r.modalities_in_study = {"CT", "SR"};
  return r;
}

TEST(dicomQido, DefaultsAndParameters) {
  QidoQuery q = parse({});
  EXPECT_EQ(q.limit, 100);
  EXPECT_EQ(q.offset, 0);
  q = parse({{"limit", "200"}, {"offset", "5"}, {"includefield", "00081030,PatientAge"}, {"includefield", "all"}});
  EXPECT_EQ(q.limit, 200);
  EXPECT_EQ(q.offset, 5);
  EXPECT_TRUE(q.include_all);
  ASSERT_EQ(q.include.size(), 2u);
  EXPECT_EQ(q.include[0], 0x00081030u);
  EXPECT_EQ(q.include[1], 0x00101010u);
  EXPECT_TRUE(parse({{"PatientName", ""}}).conditions.empty());  // empty value: universal
}

TEST(dicomQido, BadParametersSayWhich) {
  EXPECT_NE(parse_error({{"limit", "0"}}).find("limit"), std::string::npos);
  EXPECT_NE(parse_error({{"limit", "201"}}).find("limit"), std::string::npos);
  EXPECT_NE(parse_error({{"offset", "-2"}}).find("offset"), std::string::npos);
  EXPECT_NE(parse_error({{"Modality", "CT"}}).find("series-level"), std::string::npos);
  EXPECT_NE(parse_error({{"Foo", "x"}}).find("unknown query parameter 'Foo'"), std::string::npos);
  EXPECT_NE(parse_error({{"PatientAge", "x"}}).find("not a searchable"), std::string::npos);
  EXPECT_NE(parse_error({{"StudyDate", "2020-03-15"}}).find("StudyDate"), std::string::npos);
  EXPECT_NE(parse_error({{"StudyDate", "20200230"}}).find("StudyDate"), std::string::npos);
  EXPECT_NE(parse_error({{"StudyInstanceUID", "1..2"}}).find("not a valid UID"), std::string::npos);
  EXPECT_NE(parse_error({{"includefield", "Nope"}}).find("includefield"), std::string::npos);
  EXPECT_NE(parse_error({{"fuzzymatching", "yes"}}).find("fuzzymatching"), std::string::npos);
}

TEST(dicomQido, ExactAndWildcard) {
  EXPECT_TRUE(match({{"PatientID", "PID-7"}}, row()));
  EXPECT_FALSE(match({{"PatientID", "pid-7"}}, row()));  // case-sensitive but for PN
  EXPECT_TRUE(match({{"PatientName", "müller^jürgen^^dr."}}, row()));
  EXPECT_TRUE(match({{"00100020", "PID*"}}, row()));
  EXPECT_TRUE(match({{"StudyDescription", "CT?Head"}}, row()));
  EXPECT_TRUE(match({{"StudyDescription", "*Head"}}, row()));
  EXPECT_FALSE(match({{"StudyDescription", "Head*"}}, row()));
  EXPECT_TRUE(match({{"PatientName", "M?ller*"}}, row()));  // ? is one character, also ü
  EXPECT_TRUE(match({{"PatientName", "mül*"}}, row()));
  EXPECT_FALSE(match({{"AccessionNumber", "*"}}, row()));  // present but empty never matches a value
}

TEST(dicomQido, UidLists) {
  EXPECT_TRUE(match({{"StudyInstanceUID", "9.9\\1.2.3"}}, row()));
  EXPECT_TRUE(match({{"StudyInstanceUID", "9.9,1.2.3"}}, row()));
  EXPECT_FALSE(match({{"StudyInstanceUID", "1.2"}}, row()));
  EXPECT_TRUE(match({{"SeriesInstanceUID", "1.2.3.4"}}, row(), Level::Series));
}

TEST(dicomQido, DateAndTimeRanges) {
  EXPECT_TRUE(match({{"StudyDate", "20200101-20201231"}}, row()));
  EXPECT_TRUE(match({{"StudyDate", "20200315-20200315"}}, row()));
  EXPECT_TRUE(match({{"StudyDate", "20200315-"}}, row()));
  EXPECT_TRUE(match({{"StudyDate", "-20200315"}}, row()));
  EXPECT_FALSE(match({{"StudyDate", "20200316-"}}, row()));
  EXPECT_FALSE(match({{"StudyDate", "-20200314"}}, row()));
  EXPECT_TRUE(match({{"StudyDate", "20200315"}}, row()));
  EXPECT_FALSE(match({{"PatientBirthDate", "19000101-"}}, row()));  // absent
  Condition c;
  QidoAttribute tm = *find_qido_attribute("StudyTime");
  c.attribute = &tm;
  c.kind = MatchKind::Range;
  c.low = "09";
  c.high = "0930";
  EXPECT_TRUE(matches_value(c, std::string("093015.5")));  // 0930 covers 09:30:00-09:30:59
  c.high = "0929";
  EXPECT_FALSE(matches_value(c, std::string("093015.5")));
}

TEST(dicomQido, FuzzyPersonNames) {
  const Params fuzzy{{"fuzzymatching", "true"}};
  auto with = [&](const char* value) {
    Params p = fuzzy;
    p.emplace_back("PatientName", value);
    return match(p, row());
  };
  EXPECT_TRUE(with("mull"));
  EXPECT_TRUE(with("MÜLLER"));
  EXPECT_TRUE(with("jurg"));
  EXPECT_TRUE(with("jur mul"));
  EXPECT_TRUE(with("dr"));
  EXPECT_FALSE(with("ller"));  // word prefixes only
  EXPECT_FALSE(with("jurgen smith"));
  EXPECT_EQ(fold_text("ÀÉÎõüçŠŁ"), "aeioucsl");
}

TEST(dicomQido, ModalitiesInStudyAndComputedValues) {
  EXPECT_TRUE(match({{"ModalitiesInStudy", "SR"}}, row()));
  EXPECT_TRUE(match({{"ModalitiesInStudy", "MR\\CT"}}, row()));
  EXPECT_FALSE(match({{"ModalitiesInStudy", "MR"}}, row()));
  IndexRow r = row();
  r.study_instances = 12;
  EXPECT_EQ(*qido_value(*find_qido_attribute("NumberOfStudyRelatedInstances"), r), "12");
  EXPECT_EQ(*qido_value(*find_qido_attribute("00080061"), r), "CT\\SR");
}

TEST(dicomQido, WildcardCorners) {
  EXPECT_TRUE(wildcard_match("*", ""));
  EXPECT_TRUE(wildcard_match("a*b*c", "aXXbYYc"));
  EXPECT_FALSE(wildcard_match("a*b*c", "aXXbYY"));
  EXPECT_TRUE(wildcard_match("??", "ü1"));
  EXPECT_FALSE(wildcard_match("?", ""));
}

}  // namespace
}  // namespace healthd::dicom
