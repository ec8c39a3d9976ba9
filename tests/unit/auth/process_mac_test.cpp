#include "auth/process_mac.h"

#include <gtest/gtest.h>

#include <thread>

using healthd::auth::process_mac;

TEST(ProcessMac, IsAThirtyTwoByteDigestThatDependsOnTheMessage) {
  const std::string a = process_mac("cursor p123");
  EXPECT_EQ(a.size(), 32u);
  EXPECT_EQ(process_mac("cursor p123"), a);
  EXPECT_NE(process_mac("cursor p124"), a);
  EXPECT_NE(process_mac(""), a);
}

// Each thread keeps its own context: they must all share the one process key.
TEST(ProcessMac, IsTheSameOnEveryThread) {
  const std::string here = process_mac("shared message");
  std::string there;
  std::thread t([&] { there = process_mac("shared message"); });
  t.join();
  EXPECT_EQ(there, here);
}
