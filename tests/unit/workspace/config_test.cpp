#include <gtest/gtest.h>

#include <fstream>

#include "test_support.h"
#include "workspace/config.h"

namespace healthd::workspace {
namespace {

// Expects parse_config to throw with a message containing every one of `parts`.
void expect_error(const std::string& yaml, std::initializer_list<const char*> parts) {
  try {
    parse_config(yaml);
    ADD_FAILURE() << "no error for:\n" << yaml;
  } catch (const std::runtime_error& e) {
    for (const char* p : parts) EXPECT_NE(std::string(e.what()).find(p), std::string::npos) << e.what();
  }
}

TEST(Config, DefaultsWithoutFile) {
  PlatformConfig c = default_config();
  EXPECT_EQ(c.server.host, "127.0.0.1");
  EXPECT_EQ(c.server.port, 8080);
  EXPECT_EQ(c.data_dir, "./data");
  EXPECT_EQ(c.definitions_dir, HEALTHD_DEFINITIONS_DIR);
  ASSERT_EQ(c.workspaces.size(), 1u);
  EXPECT_EQ(c.workspaces[0].name, "default");
  ASSERT_EQ(c.workspaces[0].services.size(), 3u);
  EXPECT_EQ(c.workspaces[0].services[0].kind, ServiceKind::Fhir);
  EXPECT_EQ(c.workspaces[0].services[0].name, "default");
  EXPECT_EQ(c.workspaces[0].services[1].kind, ServiceKind::Dicom);
  EXPECT_EQ(c.workspaces[0].services[1].name, "default");
  const ServiceConfig& iot = c.workspaces[0].services[2];
  EXPECT_EQ(iot.kind, ServiceKind::Medtech);
  EXPECT_EQ(iot.name, "default");
  EXPECT_TRUE(iot.ensure_only);
  ASSERT_EQ(iot.medtech.destinations.count("default"), 1u);
  EXPECT_EQ(iot.medtech.destinations.at("default").fhir_service, "default");
  EXPECT_EQ(iot.medtech.destinations.at("default").resolution, medtech::ResolutionType::Create);
}

TEST(Config, EmptyTextGivesDefaults) {
  PlatformConfig c = parse_config("");
  EXPECT_EQ(c.server.port, 8080);
  ASSERT_EQ(c.workspaces.size(), 1u);
  EXPECT_EQ(c.workspaces[0].name, "default");
}

TEST(Config, FullFile) {
  PlatformConfig c = parse_config(R"(
server: { host: 0.0.0.0, port: 9090, io_threads: 4, workers: 32, max_queue: 512, max_body_bytes: 1048576,
          max_header_bytes: 8192, read_timeout_s: 10, idle_timeout_s: 70, shutdown_grace_s: 5, gzip_min_bytes: 2048 }
data: /var/lib/healthd
definitions: /opt/defs/r4
log: { level: debug }
store: { synchronous: full, max_batch: 128, cache_mb: 32, compress_threshold: 4096 }
workspaces:
  - name: default
    services:
      - kind: fhir
        name: default
        settings: { versioning: versioned, versioning_by_type: { Patient: version-update }, default_count: 20, max_count: 500, max_resource_bytes: 1000000, profile_validation: true }
  - name: research
    services:
      - kind: fhir
        name: cohort1
)");
  EXPECT_EQ(c.server.host, "0.0.0.0");
  EXPECT_EQ(c.server.port, 9090);
  EXPECT_EQ(c.server.io_threads, 4);
  EXPECT_EQ(c.server.workers, 32);
  EXPECT_EQ(c.server.max_queue, 512);
  EXPECT_EQ(c.server.max_body_bytes, 1048576u);
  EXPECT_EQ(c.server.max_header_bytes, 8192u);
  EXPECT_EQ(c.server.read_timeout_s, 10);
  EXPECT_EQ(c.server.idle_timeout_s, 70);
  EXPECT_EQ(c.server.shutdown_grace_s, 5);
  EXPECT_EQ(c.server.gzip_min_bytes, 2048u);
  EXPECT_EQ(c.data_dir, "/var/lib/healthd");
  EXPECT_EQ(c.definitions_dir, "/opt/defs/r4");
  EXPECT_EQ(c.log_level, "debug");
  EXPECT_TRUE(c.store.synchronous_full);
  EXPECT_EQ(c.store.max_batch, 128);
  EXPECT_EQ(c.store.cache_mb, 32);
  EXPECT_EQ(c.store.compress_threshold, 4096u);
  ASSERT_EQ(c.workspaces.size(), 2u);
  const auto& s = c.workspaces[0].services[0].fhir;
  EXPECT_EQ(s.versioning, fhir::Versioning::Versioned);
  EXPECT_EQ(s.versioning_for("Patient"), fhir::Versioning::VersionUpdate);
  EXPECT_EQ(s.default_count, 20);
  EXPECT_EQ(s.max_count, 500);
  EXPECT_EQ(s.max_resource_bytes, 1000000u);
  EXPECT_TRUE(s.profile_validation);
  EXPECT_FALSE(c.workspaces[1].services[0].fhir.profile_validation);  // off by default
  EXPECT_EQ(c.workspaces[1].name, "research");
  EXPECT_EQ(c.workspaces[1].services[0].name, "cohort1");
  EXPECT_EQ(c.workspaces[1].services[0].fhir.default_count, 10);  // default settings
}

TEST(Config, ValueSetExpansionLimit) {
  EXPECT_EQ(default_config().search.max_value_set_codes, 100000u);
  EXPECT_EQ(parse_config("search: { max_value_set_codes: 250 }").search.max_value_set_codes, 250u);
  expect_error("search: { max_value_set_codes: 0 }", {"search.max_value_set_codes"});
  expect_error("search: { max_codes: 5 }", {"search.max_codes", "unknown key"});
}

TEST(Config, EmptyWorkspaceListMeansNone) {
  EXPECT_TRUE(parse_config("workspaces: []").workspaces.empty());
}

TEST(Config, UnknownKeysAreNamed) {
  expect_error("server: { prot: 1 }", {"server.prot", "unknown key"});
  expect_error("colour: blue", {"colour", "unknown key"});
  expect_error("workspaces: [{ name: abc, services: [{ kind: fhir, name: abc, settings: { profile_validation: maybe } }] }]",
               {"profile_validation", "true or false"});
  expect_error("workspaces: [{ name: abc, servics: [] }]", {"workspaces[0].servics"});
  expect_error("workspaces: [{ name: abc, services: [{ kind: fhir, name: abc, settings: { versions: x } }] }]",
               {"workspaces[0].services[0].settings.versions"});
}

TEST(Config, BadValuesAreNamed) {
  expect_error("server: { port: abc }", {"server.port", "not an integer"});
  expect_error("server: { port: 70000 }", {"server.port", "between"});
  expect_error("server: { workers: 0 }", {"server.workers"});
  expect_error("store: { synchronous: sometimes }", {"store.synchronous", "normal, full"});
  expect_error("log: { level: loud }", {"log.level"});
  expect_error("server: [1, 2]", {"server", "mapping"});
}

TEST(Config, BadVersioningIsNamed) {
  expect_error("workspaces: [{ name: abc, services: [{ kind: fhir, name: abc, settings: { versioning: sometimes } }] }]",
               {"workspaces[0].services[0].settings.versioning", "sometimes", "no-version"});
  expect_error(
      "workspaces: [{ name: abc, services: [{ kind: fhir, name: abc, settings: { versioning_by_type: { Patient: x } } }] }]",
      {"versioning_by_type.Patient"});
}

TEST(Config, CountsMustBeConsistent) {
  expect_error("workspaces: [{ name: abc, services: [{ kind: fhir, name: abc, settings: { default_count: 50, max_count: 20 } }] }]",
               {"default_count"});
}

TEST(Config, BadNamesAndDuplicates) {
  expect_error("workspaces: [{ name: My-WS }]", {"workspaces[0].name", "My-WS"});
  expect_error("workspaces: [{ name: abc, services: [{ kind: fhir, name: x }] }]", {"workspaces[0].services[0].name"});
  expect_error("workspaces: [{ name: abc }, { name: abc }]", {"workspaces[1].name", "duplicate"});
  expect_error("workspaces: [{ name: abc, services: [{ kind: fhir, name: one }, { kind: fhir, name: one }] }]",
               {"duplicate"});
  expect_error("workspaces: [{ name: abc, services: [{ kind: ftp, name: one }] }]", {"kind", "ftp"});
}

TEST(Config, MedtechServices) {
  PlatformConfig c = parse_config(R"(
workspaces:
  - name: abc
    services:
      - { kind: fhir, name: store }
      - kind: medtech
        name: devices
        settings:
          device_mapping: '{"templateType": "CollectionContent", "template": []}'
          queue_limit: 50
          destinations:
            - { name: out, fhir_service: store, resolution: Lookup }
)");
  const ServiceConfig& s = c.workspaces[0].services[1];
  EXPECT_EQ(s.kind, ServiceKind::Medtech);
  EXPECT_FALSE(s.ensure_only);
  EXPECT_EQ(s.medtech.queue_limit, 50u);
  ASSERT_EQ(s.medtech.destinations.count("out"), 1u);
  EXPECT_EQ(s.medtech.destinations.at("out").resolution, medtech::ResolutionType::Lookup);
  EXPECT_EQ(s.medtech.destinations.at("out").fhir_mapping, medtech::kEmptyFhirMapping);
  // An invalid mapping names the key, the line and the reason.
  expect_error(R"(
workspaces:
  - name: abc
    services:
      - kind: medtech
        name: devices
        settings:
          device_mapping: '{"templateType": "CollectionContent", "template": [{"templateType": "Nope", "template": {}}]}'
)",
               {"workspaces[0].services[0].settings.device_mapping", "line 1"});
  expect_error("workspaces: [{ name: abc, services: [{ kind: medtech, name: devices, settings: { colour: 1 } }] }]",
               {"settings.colour"});
  expect_error("workspaces: [{ name: abc, services: [{ kind: medtech, name: devices, settings: { destinations: [{ name: out }] } }] }]",
               {"fhir_service", "required"});
}

TEST(Config, DicomServices) {
  PlatformConfig c = parse_config(
      "workspaces: [{ name: abc, services: [{ kind: dicom, name: imaging, settings: { overwrite: true, "
      "audience: 'https://aud', cors: { origins: ['*'] } } }, { kind: fhir, name: imaging }] }]");
  ASSERT_EQ(c.workspaces[0].services.size(), 2u);
  EXPECT_EQ(c.workspaces[0].services[0].kind, ServiceKind::Dicom);
  EXPECT_TRUE(c.workspaces[0].services[0].dicom.overwrite);
  EXPECT_EQ(c.workspaces[0].services[0].dicom.audience, "https://aud");
  EXPECT_EQ(c.workspaces[0].services[0].dicom.cors.origins.size(), 1u);
  expect_error("workspaces: [{ name: abc, services: [{ kind: dicom, name: imaging, settings: { versioning: x } }] }]",
               {"workspaces[0].services[0].settings.versioning", "unknown key"});
  expect_error("workspaces: [{ name: abc, services: [{ kind: dicom, name: imaging, settings: { overwrite: maybe } }] }]",
               {"overwrite", "true or false"});
}

TEST(Config, InvalidYaml) { expect_error("server: { port: 1", {"YAML"}); }

TEST(Config, CommandLineOverridesWin) {
  PlatformConfig c = parse_config("server: { host: 10.0.0.1, port: 9000 }\ndata: /srv/a");
  apply_overrides(c, ConfigOverrides{std::nullopt, 8181, std::string("/srv/b")});
  EXPECT_EQ(c.server.host, "10.0.0.1");  // not overridden
  EXPECT_EQ(c.server.port, 8181);
  EXPECT_EQ(c.data_dir, "/srv/b");
  apply_overrides(c, ConfigOverrides{std::string("::1"), std::nullopt, std::nullopt});
  EXPECT_EQ(c.server.host, "::1");
  EXPECT_EQ(c.server.port, 8181);
}

TEST(Config, LoadFileAndMissingFile) {
  test::TempDir dir;
  const std::string path = dir.path() + "/healthd.yaml";
  std::ofstream(path) << "server: { port: 7000 }\n";
  EXPECT_EQ(load_config(path).server.port, 7000);

  std::ofstream(path) << "server: { port: x }\n";
  try {
    load_config(path);
    ADD_FAILURE() << "expected an error";
  } catch (const std::runtime_error& e) {
    EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("server.port"), std::string::npos) << e.what();
  }
  EXPECT_THROW(load_config(dir.path() + "/missing.yaml"), std::runtime_error);
}

}  // namespace
}  // namespace healthd::workspace
