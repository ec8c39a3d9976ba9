// The search index rows of one resource version, as they are stored: one key per row of an ix_*
// table (see sqlite_migrations.cpp). A new version writes only the keys that changed: the old
// keys are read back from the tables (by rid) and compared in key_less order.
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

// A total order of keys (table first, then its columns); keys equal under it are one row.
bool key_less(const IndexKey& a, const IndexKey& b);
inline bool key_equal(const IndexKey& a, const IndexKey& b) { return !key_less(a, b) && !key_less(b, a); }

}  // namespace healthd::storage
