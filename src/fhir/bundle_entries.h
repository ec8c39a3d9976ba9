// The entries of a batch or transaction Bundle: reading each entry's request, turning it into a
// Request below the service base, and writing the entries of the answer. Not a public header.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "common/request.h"
#include "fhir/bundle_writer.h"
#include "json/json.h"

namespace healthd::fhir {

struct BundleEntry {
  size_t index = 0;                  // position in Bundle.entry
  std::string method;                // GET, HEAD, POST, PUT, PATCH, DELETE
  std::string url;                   // as sent
  std::vector<std::string> segments; // the url's path below the base, decoded
  std::vector<std::pair<std::string, std::string>> query;
  bool has_query = false;            // the url had a '?' (a conditional interaction or a search)
  std::string full_url;
  json::Value* resource = nullptr;   // entry.resource (inside the Bundle document)
  Headers headers;                   // If-Match, If-None-Match, If-Modified-Since, If-None-Exist
};

// "Bundle.entry[3]"
std::string entry_path(size_t index);

// Reads entry `index` of a Bundle of the given type ("batch", "transaction"); on a malformed entry
// the 400 answer naming it.
std::optional<Response> read_entry(json::Value& entry, size_t index, const std::string& base_url, BundleEntry& out);

// The entry as a request to this service: its method, path, query and conditional headers, with
// the outer request's caller, base URL and Prefer. The body is left empty (see entry_body).
Request entry_request(const Request& outer, const BundleEntry& e);

// Sets the body and Content-Type of a write entry's request: the resource as JSON; for PATCH a
// Binary's decoded data (JSON Patch) with its contentType, or a Parameters (FHIRPath Patch).
std::optional<Response> entry_body(const BundleEntry& e, Request& r);

// 403 when the caller's data actions do not cover what the entry's route needs (the platform
// checked only the Bundle route's own action).
std::optional<Response> entry_permission(const Request& entry_req);

// "201 Created"
std::string status_line(int status);

// One entry of a batch-response or transaction-response from the entry's answer: response.status,
// location, etag, lastModified, outcome (errors) and, when `with_resource`, the resource.
void write_response_entry(bundle::Writer& w, const Response& r, bool with_resource);

// A transaction's failure answer: the failing entry's status, its OperationOutcome naming the entry.
Response entry_failure(Response r, size_t index);

}  // namespace healthd::fhir
