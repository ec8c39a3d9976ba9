#include "auth/roles_file.h"

#include <fstream>
#include <set>
#include <sstream>
#include <stdexcept>

#include "json/json.h"

namespace healthd::auth {
namespace {

// Reads an optional array of action names into *out; false (with *error) on a bad shape or name.
bool read_actions(const json::Value& role, const char* member, const std::string& where, DataActions* out,
                  std::string* error) {
  *out = 0;
  const json::Value* list = json::get_member(role, member);
  if (list == nullptr) return true;
  if (!list->IsArray()) {
    *error = where + ": \"" + member + "\" must be an array of action names";
    return false;
  }
  for (const auto& item : list->GetArray()) {
    if (!item.IsString()) {
      *error = where + ": \"" + member + "\" must hold strings";
      return false;
    }
    auto actions = action_from_name(item.GetString());
    if (!actions) {
      *error = where + ": unknown data action \"" + item.GetString() + "\" in \"" + member + "\"";
      return false;
    }
    *out |= *actions;
  }
  return true;
}

bool check_scopes(const json::Value& role, const std::string& where, std::string* error) {
  const json::Value* scopes = json::get_member(role, "scopes");
  if (scopes == nullptr) return true;
  if (!scopes->IsArray()) {
    *error = where + ": \"scopes\" must be an array";
    return false;
  }
  for (const auto& s : scopes->GetArray()) {
    if (!s.IsString() || std::string_view(s.GetString()) != "/") {
      *error = where + ": only the scope \"/\" (the whole service) is supported";
      return false;
    }
  }
  return true;
}

}  // namespace

std::optional<std::vector<CustomRole>> parse_roles_file(std::string_view text, std::string* error) {
  std::string ignored;
  if (error == nullptr) error = &ignored;
  json::Document doc;
  std::string parse_error;
  if (!json::parse(text, doc, &parse_error)) {
    *error = "not JSON: " + parse_error;
    return std::nullopt;
  }
  const json::Value* roles = doc.IsObject() ? json::get_member(doc, "roles") : nullptr;
  if (roles == nullptr || !roles->IsArray()) {
    *error = "expected an object with a \"roles\" array";
    return std::nullopt;
  }
  std::vector<CustomRole> out;
  std::set<std::string> seen;
  for (rapidjson::SizeType i = 0; i < roles->Size(); ++i) {
    const json::Value& role = (*roles)[i];
    std::string where = "roles[" + std::to_string(i) + "]";
    if (!role.IsObject()) {
      *error = where + ": must be an object";
      return std::nullopt;
    }
    auto name = json::get_string(role, "name");
    if (!name || name->empty()) {
      *error = where + ": \"name\" must be a non-empty string";
      return std::nullopt;
    }
    where += " (\"" + std::string(*name) + "\")";
    if (!seen.insert(std::string(*name)).second) {
      *error = where + ": duplicate role name";
      return std::nullopt;
    }
    if (json::get_member(role, "dataActions") == nullptr) {
      *error = where + ": \"dataActions\" is required";
      return std::nullopt;
    }
    DataActions granted = 0, denied = 0;
    if (!read_actions(role, "dataActions", where, &granted, error) ||
        !read_actions(role, "notDataActions", where, &denied, error) || !check_scopes(role, where, error))
      return std::nullopt;
    out.push_back({std::string(*name), granted & ~denied});
  }
  return out;
}

void load_roles_file(const std::string& path, RoleTable& table) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error(path + ": cannot open roles file");
  std::stringstream text;
  text << in.rdbuf();
  std::string error;
  auto roles = parse_roles_file(text.str(), &error);
  if (!roles) throw std::runtime_error(path + ": " + error);
  for (const auto& role : *roles) table.add_custom(role.name, role.actions);
}

}  // namespace healthd::auth
