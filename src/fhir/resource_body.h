// Turning a request body into a resource ready to store: parse, check, validate, stamp meta.
#pragma once

#include <optional>
#include <string>

#include "fhir/service_impl.h"
#include "json/json.h"

namespace healthd::fhir {

// Parses and validates the body as a resource of `type`. On failure returns the 4xx response.
std::optional<Response> parse_resource(const FhirService::Impl& svc, const Request& req, const std::string& type,
                                       json::Document& doc);

// The checks of a parsed resource: an object of `type`, valid R4, and, when the request or the
// service asks for it, valid against its profiles. On failure the 4xx response.
std::optional<Response> check_resource(const FhirService::Impl& svc, const Request& req, const json::Value& doc,
                                       const std::string& type);

// Sets id, meta.versionId and meta.lastUpdated (the server owns them) and returns the
// compact JSON, with resourceType, id and meta first.
std::string stamp_resource(json::Value& doc, json::Allocator& alloc, const std::string& id, int64_t version,
                           int64_t last_updated_us);
inline std::string stamp_resource(json::Document& doc, const std::string& id, int64_t version, int64_t last_updated_us) {
  return stamp_resource(doc, doc.GetAllocator(), id, version, last_updated_us);
}

}  // namespace healthd::fhir
