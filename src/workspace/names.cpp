#include "workspace/names.h"

namespace healthd::workspace {

bool is_valid_name(std::string_view name) {
  if (name.size() < 3 || name.size() > 24) return false;
  for (char c : name)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))) return false;
  return true;
}

std::string invalid_name_message(std::string_view what, std::string_view name) {
  return std::string(what) + " name '" + std::string(name) +
         "' is invalid: use 3 to 24 characters, lowercase letters and digits only";
}

}  // namespace healthd::workspace
