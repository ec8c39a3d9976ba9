// What the security gate costs on a read by id, measured in one process and one run, as ratios:
//   direct   FhirService::handle (no token, no gate): the interaction alone
//   gated    Platform::handle with a bearer token: routing + token check (cached) + roles + audit
//   authn    the token check alone, on a cached token (part of gated)
//   audit    one audit record written (part of gated)
//   verify   one full RS256 signature + claims check, no cache (what a cache miss costs)
// Writes bench/results/auth-cost.md.  Run: ninja -C build bench_auth && ./build/bench_auth
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <string>

#include "auth/signing_keys.h"
#include "auth/token_validator.h"
#include "common/audit_log.h"
#include "common/time.h"
#include "fhir/service.h"
#include "json/json.h"
#include "workspace/platform.h"
#include "workspace/registry.h"

using namespace healthd;

namespace {

// Microseconds per call: runs `fn` for about `seconds`, best of three rounds.
double us_per_call(const std::function<void()>& fn, double seconds = 1.0) {
  double best = 1e18;
  for (int round = 0; round < 3; ++round) {
    auto start = std::chrono::steady_clock::now();
    long n = 0;
    double elapsed = 0;
    do {
      for (int i = 0; i < 100; ++i) fn();
      n += 100;
      elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    } while (elapsed < seconds / 3);
    best = std::min(best, elapsed * 1e6 / n);
  }
  return best;
}

std::string token_for(const workspace::Platform& platform, const std::string& data, const std::string& audience) {
  json::Document c(rapidjson::kObjectType);
  auto& a = c.GetAllocator();
  int64_t now = now_us() / 1000000;
  c.AddMember("iss", json::str(const_cast<workspace::Platform&>(platform).security().issuer(), a), a);
  c.AddMember("sub", "bench", a);
  c.AddMember("aud", json::str(audience, a), a);
  c.AddMember("iat", now, a);
  c.AddMember("exp", now + 3600, a);
  json::Value roles(rapidjson::kArrayType);
  roles.PushBack("FHIR Data Contributor", a);
  c.AddMember("roles", roles, a);
  return auth::SigningKeys::open(data)->sign(json::to_string(c));
}

}  // namespace

int main(int argc, char** argv) {
  std::string out_path = argc > 1 ? argv[1] : std::string(HEALTHD_SOURCE_DIR) + "/bench/results/auth-cost.md";
  std::string data = (std::filesystem::temp_directory_path() / ("healthd-auth-bench-" + std::to_string(getpid()))).string();
  std::filesystem::remove_all(data);

  workspace::PlatformConfig config = workspace::default_config();
  config.data_dir = data;
  config.log_level = "warn";
  workspace::Platform platform(config);
  platform.open("http://127.0.0.1:8080");
  const std::string base = "http://127.0.0.1:8080/default/fhir/default";
  const std::string token = token_for(platform, data, base);

  Request create;
  create.method = "POST";
  create.path = "/default/fhir/default/Observation";
  create.origin = "http://127.0.0.1:8080";
  create.headers.set("Authorization", "Bearer " + token);
  create.headers.set("Content-Type", "application/fhir+json");
  create.body = R"({"resourceType":"Observation","status":"final","code":{"text":"bench"},"subject":{"reference":"Patient/1"},"valueQuantity":{"value":72,"unit":"/min"}})";
  Response made = platform.handle(create);
  if (made.status != 201) {
    std::fprintf(stderr, "setup failed: %d %s\n", made.status, made.body.c_str());
    return 1;
  }
  json::Document d;
  json::parse(made.body, d);
  std::string id = d["id"].GetString();

  auto service = platform.registry().fhir_service("default", "default").service;
  Request direct;
  direct.method = "GET";
  direct.base_url = base;
  direct.segments = {"Observation", id};
  double direct_us = us_per_call([&] {
    Request r = direct;
    if (service->handle(r).status != 200) std::abort();
  });

  Request gated;
  gated.method = "GET";
  gated.path = "/default/fhir/default/Observation/" + id;
  gated.origin = "http://127.0.0.1:8080";
  gated.headers.set("Authorization", "Bearer " + token);
  double gated_us = us_per_call([&] {
    Request r = gated;
    if (platform.handle(r).status != 200) std::abort();
  });

  double authn_us = us_per_call([&] {
    if (!platform.security().authenticate(gated, base).principal) std::abort();
  });

  AuditLog audit(data + "/audit-bench");
  AuditRecord rec;
  rec.correlation_id = "bench";
  rec.request_uri = gated.origin + gated.path;
  rec.operation_name = "fhir.read";
  rec.status_code = 200;
  double audit_us = us_per_call([&] { audit.write(rec); });

  auth::TokenValidator validator(auth::SigningKeys::open(data), platform.security().issuer(), {}, {});
  double verify_us = us_per_call([&] {
    if (!validator.validate(token, {base}).ok) std::abort();
  });

  service.reset();  // let the platform close the service without waiting for us
  platform.close();
  std::filesystem::remove_all(data);

  double overhead = (gated_us - direct_us) / direct_us * 100;
  std::string report;
  char line[512];
  report += "# Cost of the security gate on a read by id\n\n";
  report += format_instant(now_us()) + ", in one process (bench/auth/auth_cost.cpp), best of 3 rounds.\n";
  report += "A ~300-byte Observation read from the SQLite store; RS256 token from the built-in issuer.\n\n";
  report += "| path | µs per read | vs direct |\n|---|---|---|\n";
  std::snprintf(line, sizeof line, "| direct: FhirService::handle, no gate | %.2f | 1.00 |\n", direct_us);
  report += line;
  std::snprintf(line, sizeof line,
                "| gated: Platform::handle, token (cached validation), roles, audit record | %.2f | %.2f |\n", gated_us,
                gated_us / direct_us);
  report += line;
  std::snprintf(line, sizeof line, "| token validation, cached (part of gated) | %.2f | %.2f |\n", authn_us,
                authn_us / direct_us);
  report += line;
  std::snprintf(line, sizeof line, "| one audit record (part of gated) | %.2f | %.2f |\n", audit_us, audit_us / direct_us);
  report += line;
  std::snprintf(line, sizeof line, "| one full RS256 validation, no cache (a first request per token) | %.2f | %.2f |\n",
                verify_us, verify_us / direct_us);
  report += line;
  std::snprintf(line, sizeof line,
                "\nToken validation (cached) adds %.1f%% to the in-process read; the whole gate (routing, token,\n"
                "roles, audit record) adds %+.1f%%. Over HTTP a read costs several times the in-process figure\n"
                "(see fhir-crud.md), so the share there is smaller still. Target: token validation <= 10%%.\n",
                authn_us / direct_us * 100, overhead);
  report += line;
  std::ofstream(out_path) << report;
  std::printf("%s", report.c_str());
  return 0;
}
