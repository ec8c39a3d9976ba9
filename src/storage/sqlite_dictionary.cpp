#include "storage/sqlite_dictionary.h"

#include <algorithm>
#include <mutex>

namespace healthd::storage {

std::string SqliteDictionary::param_key(int64_t type_id, std::string_view code) {
  std::string k = std::to_string(type_id);
  k += '\x1f';
  k += code;
  return k;
}

void SqliteDictionary::load(Db& db) {
  std::unique_lock lock(mu_);
  types_.clear();
  params_.clear();
  {
    Statement s = db.prepare("SELECT type_id, name FROM search_type");
    while (s.step()) types_.emplace(std::string(s.column_text(1)), s.column_int64(0));
  }
  Statement s = db.prepare("SELECT pid, type_id, code FROM search_param");
  while (s.step()) params_.emplace(param_key(s.column_int64(1), s.column_text(2)), s.column_int64(0));
}

std::optional<int64_t> SqliteDictionary::type_id(std::string_view type) const {
  std::shared_lock lock(mu_);
  auto it = types_.find(std::string(type));
  if (it == types_.end()) return std::nullopt;
  return it->second;
}

std::optional<int64_t> SqliteDictionary::param_id(int64_t type_id, std::string_view code) const {
  std::shared_lock lock(mu_);
  auto it = params_.find(param_key(type_id, code));
  if (it == params_.end()) return std::nullopt;
  return it->second;
}

std::string SqliteDictionary::type_name(int64_t type_id) const {
  std::shared_lock lock(mu_);
  for (const auto& [name, id] : types_)
    if (id == type_id) return name;
  return {};
}

std::vector<std::string> SqliteDictionary::type_names() const {
  std::shared_lock lock(mu_);
  std::vector<std::string> out;
  for (const auto& [name, id] : types_) out.push_back(name);
  std::sort(out.begin(), out.end());
  return out;
}

bool SqliteDictionary::ensure(Db& db, const std::vector<std::string>& types,
                              const std::vector<std::pair<std::string, std::string>>& params) {
  std::vector<std::string> new_types;
  std::vector<std::pair<std::string, std::string>> new_params;
  {
    std::shared_lock lock(mu_);
    for (const auto& t : types)
      if (!types_.contains(t)) new_types.push_back(t);
    for (const auto& [t, code] : params) {
      auto it = types_.find(t);
      if (it == types_.end() || !params_.contains(param_key(it->second, code))) new_params.emplace_back(t, code);
    }
  }
  if (new_types.empty() && new_params.empty()) return false;

  // Assign on disk first; memory learns the ids only once they are committed.
  std::unordered_map<std::string, int64_t> added_types;
  std::unordered_map<std::string, int64_t> added_params;
  db.exec("BEGIN IMMEDIATE");
  try {
    auto type_of = [&](const std::string& t) -> int64_t {
      if (auto known = type_id(t)) return *known;
      if (auto it = added_types.find(t); it != added_types.end()) return it->second;
      Statement s = db.prepare("INSERT INTO search_type (name) VALUES (?1) RETURNING type_id");
      s.bind_text(1, t);
      s.step();
      return added_types[t] = s.column_int64(0);
    };
    for (const auto& t : new_types) type_of(t);
    for (const auto& [t, code] : new_params) {
      const int64_t tid = type_of(t);
      std::string key = param_key(tid, code);
      if (added_params.contains(key)) continue;
      Statement s = db.prepare("INSERT INTO search_param (type_id, code) VALUES (?1, ?2) RETURNING pid");
      s.bind(1, tid).bind_text(2, code);
      s.step();
      added_params[key] = s.column_int64(0);
    }
    db.exec("COMMIT");
  } catch (...) {
    if (db.in_transaction()) db.exec("ROLLBACK");
    throw;
  }
  std::unique_lock lock(mu_);
  for (auto& [k, v] : added_types) types_.emplace(k, v);
  for (auto& [k, v] : added_params) params_.emplace(k, v);
  return true;
}

}  // namespace healthd::storage
