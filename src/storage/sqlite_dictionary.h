// Resource types and (type, search parameter) pairs as small integers (tables search_type and
// search_param), shared by the writer and every reader of one store. Ids are only ever added:
// the writer inserts them in a transaction of their own before a batch that needs them, so an id
// in memory is always an id on disk.
#pragma once

#include <cstdint>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "storage/sqlite_db.h"

namespace healthd::storage {

// rid = (type_id << kRidTypeShift) + n: a type's resources are the rids [type_lo, type_hi).
inline constexpr int kRidTypeShift = 40;
inline int64_t type_lo(int64_t type_id) { return type_id << kRidTypeShift; }
inline int64_t type_hi(int64_t type_id) { return (type_id + 1) << kRidTypeShift; }

class SqliteDictionary {
 public:
  void load(Db& db);

  std::optional<int64_t> type_id(std::string_view type) const;
  std::optional<int64_t> param_id(int64_t type_id, std::string_view code) const;
  std::string type_name(int64_t type_id) const;  // "" when unknown
  std::vector<std::string> type_names() const;   // every type ever stored

  // Writer only, outside any transaction: gives every type and (type, code) an id, committing the
  // new ones at once. Returns whether anything was added.
  bool ensure(Db& db, const std::vector<std::string>& types,
              const std::vector<std::pair<std::string, std::string>>& params);

 private:
  static std::string param_key(int64_t type_id, std::string_view code);

  mutable std::shared_mutex mu_;
  std::unordered_map<std::string, int64_t> types_;
  std::unordered_map<std::string, int64_t> params_;  // param_key -> pid
};

}  // namespace healthd::storage
