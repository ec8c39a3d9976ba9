// Per-service settings of a FHIR service (from the config file or the management API).
#pragma once

#include <map>
#include <string>

#include "common/cors.h"

namespace healthd::fhir {

enum class Versioning {
  Versioned,      // every update makes a new version; If-Match optional (default)
  VersionUpdate,  // like versioned, but updates and deletes must carry If-Match
  NoVersion,      // only the current version is kept; history shows one version
};

struct ServiceSettings {
  Versioning versioning = Versioning::Versioned;
  std::map<std::string, Versioning> versioning_by_type;  // per resource type override
  int default_count = 10;    // history page size when _count is absent
  int max_count = 1000;      // larger _count is capped (with a warning)
  size_t max_resource_bytes = 16 * 1024 * 1024;  // largest accepted resource body
  int max_bundle_entries = 10000;  // entries of one batch or transaction Bundle (more: 413)
  // Entries of one batch running at once (on free workers of the server's pool; 1: one by one).
  int batch_parallelism = 4;
  std::string audience;  // the `aud` its tokens must carry; empty: the service's base URL
  CorsPolicy cors;       // browsers' cross-origin access (disabled when no origins)
  // Create and update run full validation ($validate: invariants, bindings, meta.profile) and
  // refuse a resource with errors; the header x-ms-profile-validation overrides it per request.
  bool profile_validation = false;

  Versioning versioning_for(const std::string& type) const {
    auto it = versioning_by_type.find(type);
    return it == versioning_by_type.end() ? versioning : it->second;
  }
};

// "versioned" | "version-update" | "no-version"; false when the name is unknown.
bool parse_versioning(const std::string& name, Versioning& out);
const char* versioning_name(Versioning v);

}  // namespace healthd::fhir
