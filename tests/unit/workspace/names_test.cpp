#include <gtest/gtest.h>

#include "workspace/names.h"

using healthd::workspace::invalid_name_message;
using healthd::workspace::is_valid_name;

TEST(Names, AcceptsLowercaseLettersAndDigits) {
  EXPECT_TRUE(is_valid_name("default"));
  EXPECT_TRUE(is_valid_name("ws1"));
  EXPECT_TRUE(is_valid_name("abc"));
  EXPECT_TRUE(is_valid_name("123"));
  EXPECT_TRUE(is_valid_name(std::string(24, 'a')));
}

TEST(Names, RejectsWrongLengthOrCharacters) {
  EXPECT_FALSE(is_valid_name(""));
  EXPECT_FALSE(is_valid_name("ab"));
  EXPECT_FALSE(is_valid_name(std::string(25, 'a')));
  EXPECT_FALSE(is_valid_name("Default"));
  EXPECT_FALSE(is_valid_name("my-ws"));
  EXPECT_FALSE(is_valid_name("my_ws"));
  EXPECT_FALSE(is_valid_name("my ws"));
  EXPECT_FALSE(is_valid_name("caf\xc3\xa9"));
}

TEST(Names, MessageNamesTheRule) {
  std::string m = invalid_name_message("Workspace", "Bad");
  EXPECT_NE(m.find("'Bad'"), std::string::npos);
  EXPECT_NE(m.find("3 to 24"), std::string::npos);
}
