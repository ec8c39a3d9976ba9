#include "dicom/value_rules.h"

#include <gtest/gtest.h>

namespace healthd::dicom {
namespace {

TEST(dicomUid, DigitsAndDotsUpTo64) {
  EXPECT_TRUE(is_valid_uid("1.2.840.10008.5.1.4.1.1.2"));
  EXPECT_TRUE(is_valid_uid("1"));
  EXPECT_TRUE(is_valid_uid(std::string(64, '1')));
  EXPECT_TRUE(is_valid_uid("1.2.0123"));  // leading zeros: tolerated, archives hold them
  EXPECT_FALSE(is_valid_uid(""));
  EXPECT_FALSE(is_valid_uid(std::string(65, '1')));
  EXPECT_FALSE(is_valid_uid("1.2.abc"));
  EXPECT_FALSE(is_valid_uid("1.2.3 "));
  EXPECT_FALSE(is_valid_uid("1.2-3"));
  EXPECT_FALSE(is_valid_uid("1..2"));
  EXPECT_FALSE(is_valid_uid(".1.2"));
  EXPECT_FALSE(is_valid_uid("1.2."));
  EXPECT_EQ(check_value("UI", "1.2.3"), "");
  EXPECT_NE(check_value("UI", "1.2.x"), "");
}

TEST(dicomValueRules, Dates) {
  EXPECT_EQ(check_value("DA", "20240229"), "");
  EXPECT_EQ(check_value("DA", "20000229"), "");
  EXPECT_NE(check_value("DA", "19000229"), "");  // not a leap year
  EXPECT_NE(check_value("DA", "20240230"), "");
  EXPECT_NE(check_value("DA", "20241301"), "");
  EXPECT_NE(check_value("DA", "2024-01-31"), "");
  EXPECT_NE(check_value("DA", "2024013"), "");
  EXPECT_EQ(check_value("DA", ""), "");  // empty is always allowed
}

TEST(dicomValueRules, TimesAndDateTimes) {
  EXPECT_EQ(check_value("TM", "23"), "");
  EXPECT_EQ(check_value("TM", "2359"), "");
  EXPECT_EQ(check_value("TM", "235960.123456"), "");
  EXPECT_NE(check_value("TM", "24"), "");
  EXPECT_NE(check_value("TM", "12:30"), "");
  EXPECT_NE(check_value("TM", "1230.5"), "");
  EXPECT_NE(check_value("TM", "123000.1234567"), "");
  EXPECT_EQ(check_value("DT", "2024"), "");
  EXPECT_EQ(check_value("DT", "20240131123000.5+0100"), "");
  EXPECT_NE(check_value("DT", "2024013"), "");
  EXPECT_NE(check_value("DT", "20241331"), "");
  EXPECT_NE(check_value("DT", "20240131+01"), "");
}

TEST(dicomValueRules, Numbers) {
  EXPECT_EQ(check_value("IS", "-2147483648"), "");
  EXPECT_EQ(check_value("IS", " +12 "), "");
  EXPECT_NE(check_value("IS", "2147483648"), "");
  EXPECT_NE(check_value("IS", "1.0"), "");
  EXPECT_NE(check_value("IS", "1A"), "");
  EXPECT_EQ(check_value("DS", "-1.5e-3"), "");
  EXPECT_EQ(check_value("DS", ".5"), "");
  EXPECT_NE(check_value("DS", "1,5"), "");
  EXPECT_NE(check_value("DS", "e5"), "");
  EXPECT_NE(check_value("DS", "12345678901234567"), "");  // 17 characters
  EXPECT_EQ(check_value("AS", "045Y"), "");
  EXPECT_NE(check_value("AS", "45Y"), "");
}

TEST(dicomValueRules, Strings) {
  EXPECT_EQ(check_value("CS", "ORIGINAL_1 X"), "");
  EXPECT_NE(check_value("CS", "ct"), "");
  EXPECT_NE(check_value("CS", std::string(17, 'A')), "");
  EXPECT_EQ(check_value("SH", std::string(16, 'a')), "");
  EXPECT_NE(check_value("SH", std::string(17, 'a')), "");
  // LO counts characters, not bytes: 64 two-byte characters fit
  std::string alphas;
  for (int i = 0; i < 64; ++i) alphas += "\xCE\xB1";
  EXPECT_EQ(check_value("LO", alphas), "");
  EXPECT_NE(check_value("LO", alphas + "a"), "");
  EXPECT_NE(check_value("LO", "tab\there"), "");
  EXPECT_EQ(check_value("AE", "STORE SCP"), "");
  EXPECT_NE(check_value("AE", std::string(17, 'A')), "");
}

TEST(dicomValueRules, PersonNames) {
  EXPECT_EQ(check_value("PN", "Yamada^Tarou=\xE5\xB1\xB1\xE7\x94\xB0^\xE5\xA4\xAA\xE9\x83\x8E=yamada^tarou"), "");
  EXPECT_EQ(check_value("PN", "a^b^c^d^e"), "");
  EXPECT_NE(check_value("PN", "a^b^c^d^e^f"), "");
  EXPECT_NE(check_value("PN", "a=b=c=d"), "");
  EXPECT_NE(check_value("PN", std::string(65, 'x')), "");
  EXPECT_EQ(check_value("PN", std::string(64, 'x') + "=" + std::string(64, 'y')), "");
}

TEST(dicomValueRules, VrsWithoutRulesPass) {
  EXPECT_EQ(check_value("UT", std::string(100000, 'x')), "");
  EXPECT_EQ(check_value("OB", "anything"), "");
}

}  // namespace
}  // namespace healthd::dicom
