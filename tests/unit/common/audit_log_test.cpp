#include "common/audit_log.h"

#include <gtest/gtest.h>
#include <rapidjson/document.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

namespace healthd {
namespace {

namespace fs = std::filesystem;

struct TempDir {
  TempDir() {
    char tmpl[] = "/tmp/healthd-audit-XXXXXX";
    path = ::mkdtemp(tmpl);
  }
  ~TempDir() { fs::remove_all(path); }
  std::string path;
};

std::vector<std::string> files_in(const std::string& dir) {
  std::vector<std::string> out;
  for (const auto& entry : fs::directory_iterator(dir)) out.push_back(entry.path().string());
  std::sort(out.begin(), out.end());
  return out;
}

std::vector<std::string> lines_of(const std::string& path) {
  std::ifstream in(path);
  std::vector<std::string> out;
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

unsigned mode_of(const std::string& path) {
  struct stat st {};
  ::stat(path.c_str(), &st);
  return st.st_mode & 0777;
}

AuditRecord sample() {
  AuditRecord r;
  r.time = "2026-11-26T10:52:19.123Z";
  r.caller_identity = "alice";
  r.caller_identity_issuer = "https://login.example/tenant";
  r.caller_object_id = "oid-1";
  r.caller_ip = "10.0.0.7";
  r.correlation_id = "rid-1";
  r.resource_type = "Patient";
  r.operation_name = "read";
  r.request_uri = "https://fhir.example/Patient/1";
  r.result_type = "Succeeded";
  r.status_code = 200;
  r.duration_ms = 12.3456;
  r.custom_headers = {{"X-MS-AZUREFHIR-AUDIT-USER", "u\"1\n"}};
  return r;
}

TEST(AuditLogTest, RecordHasTheCloudFieldNames) {
  std::string line = audit_json_line(sample());
  ASSERT_EQ(line.back(), '\n');
  EXPECT_EQ(std::count(line.begin(), line.end(), '\n'), 1);
  rapidjson::Document doc;
  doc.Parse(line.c_str());
  ASSERT_FALSE(doc.HasParseError());
  EXPECT_STREQ(doc["TimeGenerated"].GetString(), "2026-11-26T10:52:19.123Z");
  EXPECT_STREQ(doc["CallerIdentity"].GetString(), "alice");
  EXPECT_STREQ(doc["CallerIdentityIssuer"].GetString(), "https://login.example/tenant");
  EXPECT_STREQ(doc["CallerIdentityObjectId"].GetString(), "oid-1");
  EXPECT_STREQ(doc["CallerIPAddress"].GetString(), "10.0.0.7");
  EXPECT_STREQ(doc["CorrelationId"].GetString(), "rid-1");
  EXPECT_STREQ(doc["FhirResourceType"].GetString(), "Patient");
  EXPECT_STREQ(doc["OperationName"].GetString(), "read");
  EXPECT_STREQ(doc["RequestUri"].GetString(), "https://fhir.example/Patient/1");
  EXPECT_STREQ(doc["ResultType"].GetString(), "Succeeded");
  EXPECT_EQ(doc["StatusCode"].GetInt(), 200);
  EXPECT_DOUBLE_EQ(doc["OperationDuration"].GetDouble(), 12.346);
  EXPECT_STREQ(doc["CustomHeaders"]["X-MS-AZUREFHIR-AUDIT-USER"].GetString(), "u\"1\n");
}

TEST(AuditLogTest, EmptyTimeIsNow) {
  AuditRecord r;
  rapidjson::Document doc;
  doc.Parse(audit_json_line(r).c_str());
  std::string time = doc["TimeGenerated"].GetString();
  EXPECT_EQ(time.size(), 24u) << time;
  EXPECT_EQ(time.back(), 'Z');
  EXPECT_TRUE(doc["CustomHeaders"].IsObject());
}

TEST(AuditLogTest, CustomHeadersFilteredLimitedAndCut) {
  Headers h;
  h.add("Authorization", "secret");
  h.add("x-ms-azurefhir-audit-site", "ward 3");
  h.add("X-MS-AZUREFHIR-AUDIT-", "no suffix");
  h.add("X-MS-AZUREFHIR-AUDIT-LONG", std::string(3000, 'a'));
  std::string utf8 = std::string(2047, 'b') + "\xC3\xA9";  // é straddles the 2048 limit
  h.add("X-MS-AZUREFHIR-AUDIT-UTF8", utf8);
  for (int i = 0; i < 12; ++i) h.add("X-MS-AZUREFHIR-AUDIT-N" + std::to_string(i), "v");
  auto custom = audit_custom_headers(h);
  ASSERT_EQ(custom.size(), 10u);
  EXPECT_EQ(custom[0].first, "x-ms-azurefhir-audit-site");
  EXPECT_EQ(custom[0].second, "ward 3");
  EXPECT_EQ(custom[1].second.size(), 2048u);
  EXPECT_EQ(custom[2].second, std::string(2047, 'b'));
  EXPECT_EQ(custom[9].first, "X-MS-AZUREFHIR-AUDIT-N6");
}

TEST(AuditLogTest, WritesJsonLinesWithPrivateModes) {
  TempDir tmp;
  std::string dir = tmp.path + "/data/audit";
  std::string file;
  {
    AuditLog log(dir);
    log.write(sample());
    file = log.current_file();
    EXPECT_EQ(lines_of(file).size(), 1u);  // on disk before flush()
    log.write(sample());
  }
  EXPECT_EQ(mode_of(dir), 0700u);
  EXPECT_EQ(mode_of(file), 0600u);
  std::string name = fs::path(file).filename().string();
  EXPECT_TRUE(name.starts_with("audit-") && name.ends_with("-1.jsonl")) << name;
  EXPECT_EQ(name.size(), std::string("audit-20261126T105219Z-1.jsonl").size()) << name;
  EXPECT_EQ(lines_of(file).size(), 2u);

  AuditLog again(dir);  // a restart never appends to an old file
  again.write(sample());
  EXPECT_NE(again.current_file(), file);
  EXPECT_EQ(files_in(dir).size(), 2u);
}

TEST(AuditLogTest, RotatesAtMaxFileBytes) {
  TempDir tmp;
  size_t line_size = audit_json_line(sample()).size();
  AuditLog log(tmp.path, line_size * 3 + 1);
  for (int i = 0; i < 10; ++i) log.write(sample());
  log.flush();
  auto files = files_in(tmp.path);
  ASSERT_EQ(files.size(), 4u);  // 3 + 3 + 3 + 1
  size_t total = 0;
  for (const auto& f : files) {
    EXPECT_LE(fs::file_size(f), line_size * 3 + 1);
    EXPECT_EQ(mode_of(f), 0600u);
    total += lines_of(f).size();
  }
  EXPECT_EQ(total, 10u);
}

TEST(AuditLogTest, ConcurrentWritersKeepLinesWhole) {
  TempDir tmp;
  AuditLog log(tmp.path, 64 << 10);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&] {
      for (int i = 0; i < 500; ++i) log.write(sample());
    });
  for (auto& t : threads) t.join();
  log.flush();
  size_t total = 0;
  for (const auto& f : files_in(tmp.path))
    for (const auto& line : lines_of(f)) {
      rapidjson::Document doc;
      doc.Parse(line.c_str());
      EXPECT_FALSE(doc.HasParseError());
      ++total;
    }
  EXPECT_EQ(total, 2000u);
  EXPECT_EQ(log.failed_writes(), 0u);
}

TEST(AuditLogTest, UnusableDirectoryThrows) {
  TempDir tmp;
  std::ofstream(tmp.path + "/file") << "x";
  EXPECT_THROW(AuditLog(tmp.path + "/file/audit"), std::runtime_error);
}

}  // namespace
}  // namespace healthd
