// Names of workspaces and services: 3-24 characters, lowercase letters and digits (as in the cloud).
#pragma once

#include <string>
#include <string_view>

namespace healthd::workspace {

bool is_valid_name(std::string_view name);
// "<what> name 'x' is invalid: ..." for error messages.
std::string invalid_name_message(std::string_view what, std::string_view name);

}  // namespace healthd::workspace
