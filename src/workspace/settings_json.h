// FHIR service settings <-> the camelCase `properties` object of the management API
// (also the form kept in management.json).
#pragma once

#include <functional>
#include <string>
#include <string_view>

#include "fhir/settings.h"
#include "json/json.h"

namespace healthd::workspace {

// Adds versioning, versioningByType, defaultCount, maxCount, maxResourceBytes to obj.
void add_settings_members(const fhir::ServiceSettings& settings, json::Value& obj, json::Allocator& a);

// Reads settings from a properties object; absent members keep their defaults (PUT replaces).
// Read-only members (provisioningState, serviceUrl) are ignored. On an unknown member or a bad
// value returns false with `error` naming it ("properties.maxCount: ..."). `is_resource_type`
// (may be empty) checks the keys of versioningByType.
bool read_settings(const json::Value& properties, fhir::ServiceSettings& out, std::string& error,
                   const std::function<bool(std::string_view)>& is_resource_type = {});

// corsConfiguration {origins, headers, methods, maxAge, allowCredentials}, shared with the
// DICOM service settings.
json::Value cors_configuration_json(const CorsPolicy& cors, json::Allocator& a);
bool read_cors_configuration(const json::Value& v, const std::string& field, CorsPolicy& out, std::string& error);

}  // namespace healthd::workspace
