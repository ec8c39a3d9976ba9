#include "storage/zstd_codec.h"

#include <gtest/gtest.h>

#include <stdexcept>

namespace healthd::storage {
namespace {

TEST(ZstdCodec, RoundTripsAndShrinksRepetitiveText) {
  std::string text;
  for (int i = 0; i < 1000; ++i) text += R"({"system":"http://loinc.org","code":")" + std::to_string(i % 10) + "\"}";
  std::string packed = zstd::compress(text);
  EXPECT_LT(packed.size(), text.size() / 5);
  EXPECT_EQ(zstd::decompress(packed), text);
}

TEST(ZstdCodec, RoundTripsEmptyAndBinary) {
  EXPECT_EQ(zstd::decompress(zstd::compress("")), "");
  std::string binary;
  for (int i = 0; i < 5000; ++i) binary.push_back(static_cast<char>((i * 7919) & 0xff));
  EXPECT_EQ(zstd::decompress(zstd::compress(binary)), binary);
}

TEST(ZstdCodec, RejectsGarbage) {
  EXPECT_THROW(zstd::decompress("definitely not zstd"), std::runtime_error);
  std::string packed = zstd::compress(std::string(10000, 'x'));
  EXPECT_THROW(zstd::decompress(packed.substr(0, packed.size() / 2)), std::runtime_error);
}

}  // namespace
}  // namespace healthd::storage
