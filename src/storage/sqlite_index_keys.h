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

// A total order of keys (table first, then its columns, roughly each table's PRIMARY KEY
// order, so rows sorted by it reach the B-trees in order): <0, 0, >0. Keys comparing 0 are one
// row. Inline, one pass: the writer sorts every batch's rows with it.
inline int key_compare(const IndexKey& a, const IndexKey& b) {
  auto three = [](auto x, auto y) { return x < y ? -1 : (y < x ? 1 : 0); };
  if (int c = three(a.table, b.table)) return c;
  if (int c = three(a.pid, b.pid)) return c;
  if (int c = a.text.compare(b.text)) return c;
  if (int c = three(a.sys, b.sys)) return c;
  if (int c = three(a.ilow, b.ilow)) return c;
  if (int c = three(a.ihigh, b.ihigh)) return c;
  if (int c = three(a.dlow, b.dlow)) return c;
  if (int c = three(a.dhigh, b.dhigh)) return c;
  if (int c = a.text2.compare(b.text2)) return c;
  if (int c = three(a.sys2, b.sys2)) return c;
  return three(a.range, b.range);
}
inline bool key_less(const IndexKey& a, const IndexKey& b) { return key_compare(a, b) < 0; }
inline bool key_equal(const IndexKey& a, const IndexKey& b) { return key_compare(a, b) == 0; }

}  // namespace healthd::storage
