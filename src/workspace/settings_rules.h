// Range rules for FHIR service settings, shared by the config file and the management API.
#pragma once

#include <optional>
#include <string>

#include "fhir/settings.h"

namespace healthd::workspace {

// Names of the settings fields in one spelling (config: snake_case; management API: camelCase).
struct SettingsFieldNames {
  const char* default_count;
  const char* max_count;
  const char* max_resource_bytes;
};
inline constexpr SettingsFieldNames kConfigFieldNames{"default_count", "max_count", "max_resource_bytes"};
inline constexpr SettingsFieldNames kApiFieldNames{"defaultCount", "maxCount", "maxResourceBytes"};

inline constexpr int kMaxPageCount = 10000;
inline constexpr int kMaxBundleEntries = 1000000;  // upper bound of max_bundle_entries
inline constexpr int kMaxBatchParallelism = 256;    // upper bound of batch_parallelism

// A message naming the first field out of range, or nullopt when all are fine.
std::optional<std::string> settings_problem(const fhir::ServiceSettings& s, const SettingsFieldNames& names);

}  // namespace healthd::workspace
