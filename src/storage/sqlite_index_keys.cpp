#include "storage/sqlite_index_keys.h"

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

}  // namespace healthd::storage
