// Platform: the top-level dispatcher the HTTP server hands every request to.
//   GET /health            liveness (answered by fast(), on the I/O thread)
//   GET /health/ready      200 once every service opened, else 503
//   GET /metrics           Prometheus text
//   /management/...        the management API
//   /{ws}/fhir/{svc}/...   the FHIR service (request.base_url and request.segments filled in)
// Everything else is a 404 OperationOutcome.
#pragma once

#include <atomic>
#include <memory>
#include <optional>

#include "common/request.h"
#include "workspace/config.h"

namespace healthd::fhir {
class Definitions;
}

namespace healthd::workspace {

class Registry;
class ManagementApi;

class Platform {
 public:
  // `definitions`: already loaded definitions to share (tests, tools); null loads them in open().
  explicit Platform(PlatformConfig config, std::shared_ptr<const fhir::Definitions> definitions = nullptr);
  ~Platform();
  Platform(const Platform&) = delete;
  Platform& operator=(const Platform&) = delete;

  // Loads the FHIR definitions (once, shared by all FHIR services), checks the config against
  // them, opens the registry. Throws std::runtime_error with a clear message on failure.
  void open();
  // Blocking work: runs on a worker thread.
  Response handle(Request& request);
  // Answers that need no worker (GET /health); nullopt for everything else.
  std::optional<Response> fast(Request& request);
  bool ready() const;
  // Closes every service. Idempotent.
  void close();

  const PlatformConfig& config() const { return config_; }
  Registry& registry() { return *registry_; }

 private:
  Response dispatch(Request& request, const std::vector<std::string>& segments);
  Response health_ready();
  Response fhir(Request& request, const std::vector<std::string>& segments);

  PlatformConfig config_;
  std::shared_ptr<const fhir::Definitions> definitions_;
  std::unique_ptr<Registry> registry_;
  std::unique_ptr<ManagementApi> management_;
  std::atomic<bool> open_{false};
};

}  // namespace healthd::workspace
