// Helpers shared by the storage tests: a temporary directory and small op builders.
#pragma once

#include <stdlib.h>

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "fhir/store.h"
#include "storage/sqlite_fhir_store.h"

namespace healthd::storage::testing {

// A fresh directory under the system temp dir, removed with everything in it.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "healthd-storage-XXXXXX").string();
    if (!mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::string file(const std::string& name) const { return (path_ / name).string(); }

 private:
  std::filesystem::path path_;
};

inline fhir::WriteOp op(fhir::WriteOp::Kind kind, std::string type, std::string id, int64_t version,
                        int64_t last_updated_us = 0, std::string json = {}) {
  fhir::WriteOp o;
  o.kind = kind;
  o.type = std::move(type);
  o.id = std::move(id);
  o.version = version;
  o.last_updated_us = last_updated_us;
  o.json = json.empty() && kind != fhir::WriteOp::Kind::Delete && kind != fhir::WriteOp::Kind::Purge
               ? R"({"resourceType":")" + o.type + R"(","id":")" + o.id + R"(","meta":{"versionId":")" +
                     std::to_string(version) + R"("}})"
               : std::move(json);
  return o;
}

inline fhir::WriteOp create(std::string type, std::string id, int64_t t = 0, std::string json = {}) {
  return op(fhir::WriteOp::Kind::Create, std::move(type), std::move(id), 1, t, std::move(json));
}
inline fhir::WriteOp update(std::string type, std::string id, int64_t version, int64_t t = 0, std::string json = {}) {
  return op(fhir::WriteOp::Kind::Update, std::move(type), std::move(id), version, t, std::move(json));
}
inline fhir::WriteOp remove(std::string type, std::string id, int64_t version, int64_t t = 0) {
  return op(fhir::WriteOp::Kind::Delete, std::move(type), std::move(id), version, t);
}
inline fhir::WriteOp purge(std::string type, std::string id) {
  return op(fhir::WriteOp::Kind::Purge, std::move(type), std::move(id), 0);
}

inline SqliteStoreOptions options_in(const TempDir& dir, const std::string& label = "test") {
  SqliteStoreOptions o;
  o.path = dir.file("sub/dir/fhir.db");  // parent directories are created by the store
  o.metrics_label = label;
  o.read_connections = 4;
  o.cache_mb = 8;
  return o;
}

}  // namespace healthd::storage::testing
