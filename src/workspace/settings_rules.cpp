#include "workspace/settings_rules.h"

namespace healthd::workspace {

std::optional<std::string> settings_problem(const fhir::ServiceSettings& s, const SettingsFieldNames& names) {
  if (s.max_count < 1 || s.max_count > kMaxPageCount)
    return std::string(names.max_count) + " must be between 1 and " + std::to_string(kMaxPageCount);
  if (s.default_count < 1 || s.default_count > s.max_count)
    return std::string(names.default_count) + " must be between 1 and " + names.max_count + " (" +
           std::to_string(s.max_count) + ")";
  if (s.max_resource_bytes < 1) return std::string(names.max_resource_bytes) + " must be at least 1";
  return std::nullopt;
}

}  // namespace healthd::workspace
