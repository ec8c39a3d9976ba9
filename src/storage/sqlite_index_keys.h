// The search index rows of one resource version, as they are stored: one key per row of an ix_*
// table (see sqlite_migrations.cpp). A resource row keeps its keys as one blob, so a new version
// writes only the keys that changed and a deletion removes exactly its keys, with no index by rid.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace healthd::storage {

enum class IndexTable : uint8_t { String = 1, Token = 2, Ref = 3, Date = 4, Quantity = 5, Composite = 6 };
constexpr int kIndexTables = 6;

struct IndexKey {
  IndexTable table = IndexTable::Token;
  int64_t pid = 0;
  std::string text;   // String: normalized; Token: code; Ref: reference key or uri; Quantity: unit;
                      // Composite: c1 (first component: code or reference key)
  std::string text2;  // String: original; Composite: c2 (second: code, normalized text or unit)
  int64_t sys = 0;    // Token, Quantity: system_hash(system); Composite: s1
  int64_t sys2 = 0;   // Composite: s2
  int64_t ilow = 0, ihigh = 0;  // Date; Composite with a date second component
  double dlow = 0, dhigh = 0;   // Quantity; Composite with a number/quantity second component
  // Composite: which of ilow/ihigh (1), dlow/dhigh (2) or neither (0, stored as 0) hold its range.
  uint8_t range = 0;
};

// 0 for "", else a 64-bit FNV-1a hash of the system (never 0). Tokens and quantities store
// systems this way: URLs repeated on every row would dominate the index size.
int64_t system_hash(std::string_view system);

// One key as bytes; equal keys give equal bytes, so sets of keys compare as sorted strings.
std::string encode_key(const IndexKey& key);
// Decodes one key made by encode_key; false when the bytes are not one.
bool decode_key(std::string_view bytes, IndexKey& out);

// The keys of a resource version <-> its blob (length-prefixed encode_key strings, sorted).
std::string join_keys(const std::vector<std::string>& sorted_keys);
// false when the blob is damaged (keys decoded so far are kept).
bool split_keys(std::string_view blob, std::vector<std::string>& out);

}  // namespace healthd::storage
