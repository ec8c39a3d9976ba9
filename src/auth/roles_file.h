// Custom roles from a roles file, in the open-source server's shape:
// {"roles":[{"name":"globalReader","dataActions":["read"],"notDataActions":[],"scopes":["/"]}]}
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "auth/roles.h"

namespace healthd::auth {

struct CustomRole {
  std::string name;
  DataActions actions = 0;  // dataActions minus notDataActions
};

// Parses roles-file text. Rules: "roles" is an array; each role has a non-empty unique "name" and a
// "dataActions" array of action names (see action_from_name); "notDataActions" is optional;
// "scopes" is optional and may only hold "/" (the whole service). On failure returns nullopt and
// sets *error to a message naming the role and the offending value.
std::optional<std::vector<CustomRole>> parse_roles_file(std::string_view text, std::string* error);

// Reads the file at path and adds its roles to table. Throws std::runtime_error("<path>: <reason>").
void load_roles_file(const std::string& path, RoleTable& table);

}  // namespace healthd::auth
