#include "common/audit_log.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>
#include <spdlog/spdlog.h>

#include <cerrno>
#include <cmath>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <stdexcept>

#include "common/time.h"

namespace healthd {

namespace {

constexpr std::string_view kCustomHeaderPrefix = "X-MS-AZUREFHIR-AUDIT-";
constexpr size_t kMaxCustomHeaders = 10;
constexpr size_t kMaxCustomHeaderValue = 2048;

// "20261126T105219Z"
std::string file_timestamp() {
  std::time_t now = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&now, &tm);
  char text[32];
  std::strftime(text, sizeof text, "%Y%m%dT%H%M%SZ", &tm);
  return text;
}

// Cuts at most `max` bytes without splitting a UTF-8 sequence.
std::string cut_utf8(std::string_view s, size_t max) {
  if (s.size() <= max) return std::string(s);
  size_t end = max;
  while (end > 0 && (static_cast<unsigned char>(s[end]) & 0xC0) == 0x80) --end;
  return std::string(s.substr(0, end));
}

bool write_all(int fd, std::string_view data) {
  while (!data.empty()) {
    ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return false;
    data.remove_prefix(static_cast<size_t>(n));
  }
  return true;
}

}  // namespace

std::string audit_json_line(const AuditRecord& r) {
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> w(buffer);
  auto field = [&w](const char* name, const std::string& value) {
    w.Key(name);
    w.String(value.data(), static_cast<rapidjson::SizeType>(value.size()));
  };
  w.StartObject();
  field("TimeGenerated", r.time.empty() ? format_instant(now_us()) : r.time);
  field("CallerIdentity", r.caller_identity);
  field("CallerIdentityIssuer", r.caller_identity_issuer);
  field("CallerIdentityObjectId", r.caller_object_id);
  field("CallerIPAddress", r.caller_ip);
  field("CorrelationId", r.correlation_id);
  field("FhirResourceType", r.resource_type);
  field("OperationName", r.operation_name);
  w.Key("OperationDuration");
  w.Double(std::isfinite(r.duration_ms) ? std::round(r.duration_ms * 1000) / 1000 : 0.0);
  field("RequestUri", r.request_uri);
  field("ResultType", r.result_type);
  w.Key("StatusCode");
  w.Int(r.status_code);
  w.Key("CustomHeaders");
  w.StartObject();
  for (const auto& [name, value] : r.custom_headers) field(name.c_str(), value);
  w.EndObject();
  w.EndObject();
  std::string line(buffer.GetString(), buffer.GetSize());
  line.push_back('\n');
  return line;
}

AuditLog::AuditLog(std::string dir, size_t max_file_bytes)
    : dir_(std::move(dir)), max_file_bytes_(max_file_bytes == 0 ? kDefaultMaxFileBytes : max_file_bytes) {
  std::error_code ec;
  std::filesystem::create_directories(dir_, ec);
  if (ec) throw std::runtime_error("audit: cannot create directory '" + dir_ + "': " + ec.message());
  if (::chmod(dir_.c_str(), 0700) != 0)
    throw std::runtime_error("audit: cannot restrict directory '" + dir_ + "': " + std::strerror(errno));
  std::lock_guard lock(mu_);
  if (!open_new_file()) throw std::runtime_error("audit: cannot create a file in '" + dir_ + "': " + std::strerror(errno));
}

AuditLog::~AuditLog() {
  flush();
  if (fd_ >= 0) ::close(fd_);
}

bool AuditLog::open_new_file() {
  const std::string stamp = file_timestamp();
  for (int n = 1; n < 10000; ++n) {
    std::string path = dir_ + "/audit-" + stamp + "-" + std::to_string(n) + ".jsonl";
    int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC, 0600);
    if (fd < 0 && errno == EEXIST) continue;
    if (fd < 0) return false;
    ::fchmod(fd, 0600);  // whatever the umask
    if (fd_ >= 0) {
      ::fdatasync(fd_);
      ::close(fd_);
    }
    fd_ = fd;
    path_ = std::move(path);
    file_bytes_ = 0;
    return true;
  }
  errno = EEXIST;
  return false;
}

void AuditLog::write(const AuditRecord& record) {
  std::string line;
  try {
    line = audit_json_line(record);
  } catch (const std::exception& e) {
    spdlog::error("audit: cannot serialize a record: {}", e.what());
    std::lock_guard lock(mu_);
    ++failed_writes_;
    return;
  }
  std::lock_guard lock(mu_);
  if (file_bytes_ > 0 && file_bytes_ + line.size() > max_file_bytes_ && !open_new_file())
    spdlog::error("audit: cannot rotate to a new file in '{}': {}", dir_, std::strerror(errno));
  if (write_all(fd_, line)) {
    file_bytes_ += line.size();
  } else {
    ++failed_writes_;
    spdlog::error("audit: cannot write to '{}': {}", path_, std::strerror(errno));
  }
}

void AuditLog::flush() {
  std::lock_guard lock(mu_);
  if (fd_ >= 0) ::fdatasync(fd_);
}

std::string AuditLog::current_file() const {
  std::lock_guard lock(mu_);
  return path_;
}

size_t AuditLog::failed_writes() const {
  std::lock_guard lock(mu_);
  return failed_writes_;
}

std::vector<std::pair<std::string, std::string>> audit_custom_headers(const Headers& headers) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& [name, value] : headers.entries()) {
    if (out.size() == kMaxCustomHeaders) break;
    if (name.size() > kCustomHeaderPrefix.size() && iequals(std::string_view(name).substr(0, kCustomHeaderPrefix.size()), kCustomHeaderPrefix))
      out.emplace_back(name, cut_utf8(value, kMaxCustomHeaderValue));
  }
  return out;
}

}  // namespace healthd
