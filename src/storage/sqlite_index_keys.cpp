#include "storage/sqlite_index_keys.h"

#include <tuple>

namespace healthd::storage {

int64_t system_hash(std::string_view system) {
  if (system.empty()) return 0;
  uint64_t h = 14695981039346656037ull;
  for (unsigned char c : system) {
    h ^= c;
    h *= 1099511628211ull;
  }
  const auto v = static_cast<int64_t>(h);
  return v == 0 ? 1 : v;
}

bool key_less(const IndexKey& a, const IndexKey& b) {
  // Roughly each table's PRIMARY KEY order, so rows sorted by it reach the B-trees in order.
  return std::tie(a.table, a.pid, a.text, a.sys, a.ilow, a.ihigh, a.dlow, a.dhigh, a.text2, a.sys2, a.range) <
         std::tie(b.table, b.pid, b.text, b.sys, b.ilow, b.ihigh, b.dlow, b.dhigh, b.text2, b.sys2, b.range);
}

}  // namespace healthd::storage
