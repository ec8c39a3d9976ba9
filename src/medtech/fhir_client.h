// How the MedTech pipeline talks to its destination FHIR service: through that service's own
// interactions (read, search, update) with internal Requests, so validation, versioning and
// storage are the FHIR service's. No principal: an in-process caller with full rights.
#pragma once

#include <functional>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "common/request.h"
#include "json/json.h"

namespace healthd::medtech {

// Runs `request` on the FHIR service named `service` in the connector's workspace; nullopt when
// that service does not exist or is not open.
using FhirCall = std::function<std::optional<Response>(const std::string& service, Request& request)>;

// A failure worth retrying later (service missing or unavailable, 5xx, conflicts exhausted):
// the batch stays queued.
class TransientError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

class FhirClient {
 public:
  FhirClient(FhirCall call, std::string service) : call_(std::move(call)), service_(std::move(service)) {}

  struct ReadResult {
    bool found = false;
    json::Document resource;
    std::string etag;  // W/"n"
  };
  // 200 → found; 404/410 → not found; anything else throws TransientError.
  ReadResult read(const std::string& type, const std::string& id);

  // PUT {type}/{id}; If-Match when given. Returns the status (200, 201, 409, 412, 4xx);
  // 5xx, 429 and a missing service throw TransientError.
  int put(const std::string& type, const std::string& id, const std::string& body,
          const std::optional<std::string>& if_match, std::string* diagnostics = nullptr);

  // GET {type}?identifier={value}&_count=2: the matching resources (at most 2: enough to tell
  // one from several). Any answer but 200 throws TransientError.
  std::vector<json::Document> search_identifier(const std::string& type, const std::string& value);

  // GET {type}?_id=a,b,...: the resources of those ids that exist, by id, each with its ETag
  // (W/"versionId"). One search per kIdsPerSearch ids. Any answer but 200 throws TransientError.
  static constexpr size_t kIdsPerSearch = 500;
  std::map<std::string, ReadResult> read_many(const std::string& type, const std::vector<std::string>& ids);

  // POST [base] with a transaction Bundle (JSON text). Returns the status (200, 409, 412, 4xx);
  // the answer's body goes to *answer. 5xx, 429 and a missing service throw TransientError.
  int transaction(std::string bundle, std::string* answer);

  const std::string& service() const { return service_; }

 private:
  Response call(Request& req);

  FhirCall call_;
  std::string service_;
};

}  // namespace healthd::medtech
