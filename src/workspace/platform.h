// Platform: the top-level dispatcher the HTTP server hands every request to.
//   GET /health            liveness (answered by fast(), on the I/O thread)
//   GET /health/ready      200 once every service opened, else 503
//   GET /metrics           Prometheus text
//   /management/...        the management API
//   /{ws}/fhir/{svc}/...   the FHIR service (request.base_url and request.segments filled in)
//   /{ws}/dicom/{svc}/...  the DICOM service (the same way)
//   /{ws}/medtech/{name}/... the MedTech service (same)
// Everything else is a 404 OperationOutcome.
#pragma once

#include <atomic>
#include <memory>
#include <optional>

#include "common/request.h"
#include "workspace/config.h"
#include "workspace/security.h"

namespace healthd::fhir {
class Definitions;
}

namespace healthd::workspace {

class Registry;
class ManagementApi;

class Platform {
 public:
  // `definitions`: already loaded definitions to share (tests, tools); null loads them in open().
  // `http_get`: fetches OpenID discovery documents and JWKS of external issuers and clients.
  explicit Platform(PlatformConfig config, std::shared_ptr<const fhir::Definitions> definitions = nullptr,
                    HttpGet http_get = {});
  ~Platform();
  Platform(const Platform&) = delete;
  Platform& operator=(const Platform&) = delete;

  // Loads the FHIR definitions (once, shared by all FHIR services), checks the config against
  // them, opens security (keys, clients, audit) and the registry, and records the server's
  // identity in <data>/server.json. `public_url` is how clients reach the server (empty: from
  // the config). Throws std::runtime_error with a clear message on failure.
  void open(const std::string& public_url = {});
  // Blocking work: runs on a worker thread.
  Response handle(Request& request);
  // Answers that need no worker (GET /health); nullopt for everything else.
  std::optional<Response> fast(Request& request);
  // How the HTTP layer takes a request's body (called on the I/O thread once method and path are
  // read): STOW-RS routes of a DICOM service spill uploads larger than 1 MB to a file in the
  // service's upload folder, up to its max_upload_bytes; nullopt for every other route.
  std::optional<FileBodyRule> file_body_rule(std::string_view method, std::string_view path);
  bool ready() const;
  // Closes every service. Idempotent.
  void close();

  const PlatformConfig& config() const { return config_; }
  Registry& registry() { return *registry_; }
  Security& security() { return *security_; }
  const std::string& public_url() const { return public_url_; }
  // Every audience this server accepts: the management API's and each FHIR and DICOM service's.
  std::vector<std::string> audiences() const;

 private:
  Response dispatch(Request& request, const std::vector<std::string>& segments);
  Response management(Request& request, const std::vector<std::string>& segments);
  // The principal for a route needing `action` (403/401 response when it is missing).
  std::optional<Response> authorize(Request& request, const std::string& audience, DataAction action);
  Response health_ready();
  Response fhir(Request& request, const std::vector<std::string>& segments);
  Response dicom(Request& request, const std::vector<std::string>& segments);
  Response medtech(Request& request, const std::vector<std::string>& segments);

  PlatformConfig config_;
  std::shared_ptr<const fhir::Definitions> definitions_;
  std::unique_ptr<Registry> registry_;
  std::unique_ptr<ManagementApi> management_;
  std::unique_ptr<Security> security_;
  HttpGet http_get_;
  std::string public_url_;
  std::atomic<bool> open_{false};
};

}  // namespace healthd::workspace
