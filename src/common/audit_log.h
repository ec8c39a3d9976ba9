// Audit trail (HIPAA 164.312(b)): one JSON object per line, field names as the cloud's
// AuditLogs, in append-only files under <data>/audit/ (directory 0700, files 0600) named
// audit-YYYYMMDDTHHMMSSZ-<n>.jsonl by creation time. A new file is started at every start-up
// and whenever the next record would take the current one past max_file_bytes.
//
// Durability: write() hands each record to the kernel with one write(2) (O_APPEND) before it
// returns, so a record survives a crash of the process; flush() (and the destructor) also
// fdatasync() the file for power loss. JSON serialization runs outside the lock.
#pragma once

#include <cstddef>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "common/request.h"

namespace healthd {

struct AuditRecord {
  std::string time;  // ISO instant; filled with now when empty
  std::string caller_identity, caller_identity_issuer, caller_object_id, caller_ip, correlation_id, resource_type,
      operation_name, request_uri, result_type;  // result_type: Started | Succeeded | Failed
  int status_code = 0;
  double duration_ms = 0;
  std::vector<std::pair<std::string, std::string>> custom_headers;
};

// The record as one JSON line (with the trailing '\n').
std::string audit_json_line(const AuditRecord& record);

class AuditLog {
 public:
  static constexpr size_t kDefaultMaxFileBytes = size_t{64} << 20;

  // Creates dir (0700) and the first file; throws std::runtime_error when it cannot.
  explicit AuditLog(std::string dir, size_t max_file_bytes = kDefaultMaxFileBytes);
  ~AuditLog();  // flush()
  AuditLog(const AuditLog&) = delete;
  AuditLog& operator=(const AuditLog&) = delete;

  // Thread-safe; never throws (a failed write is logged with spdlog and counted).
  void write(const AuditRecord& record);
  // fdatasync()s the current file.
  void flush();

  std::string current_file() const;
  size_t failed_writes() const;

 private:
  bool open_new_file();  // under mu_

  const std::string dir_;
  const size_t max_file_bytes_;
  mutable std::mutex mu_;
  int fd_ = -1;
  std::string path_;
  size_t file_bytes_ = 0;
  size_t failed_writes_ = 0;
};

// Request headers named X-MS-AZUREFHIR-AUDIT-* (case-insensitive), in order: at most 10,
// each value cut at 2048 bytes (on a UTF-8 character boundary).
std::vector<std::pair<std::string, std::string>> audit_custom_headers(const Headers& headers);

}  // namespace healthd
