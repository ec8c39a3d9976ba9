#include "auth/roles.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <utility>

namespace healthd::auth {
namespace {

constexpr DataActions kRead = bit(DataAction::Read) | bit(DataAction::Search) | bit(DataAction::ReadById);
constexpr DataActions kWrite = bit(DataAction::Write) | bit(DataAction::Create) | bit(DataAction::Update);

// One name per bit, in bit order (describe_actions prints them in this order).
constexpr std::array<std::pair<std::string_view, DataAction>, 21> kSingleActions{{
    {"read", DataAction::Read},
    {"write", DataAction::Write},
    {"delete", DataAction::Delete},
    {"hardDelete", DataAction::HardDelete},
    {"export", DataAction::Export},
    {"resourceValidate", DataAction::ResourceValidate},
    {"reindex", DataAction::Reindex},
    {"convertData", DataAction::ConvertData},
    {"editProfileDefinitions", DataAction::EditProfileDefinitions},
    {"import", DataAction::Import},
    {"searchParameter", DataAction::SearchParameter},
    {"bulkOperator", DataAction::BulkOperator},
    {"smart", DataAction::Smart},
    {"search", DataAction::Search},
    {"readById", DataAction::ReadById},
    {"create", DataAction::Create},
    {"update", DataAction::Update},
    {"dicomRead", DataAction::DicomRead},
    {"dicomWrite", DataAction::DicomWrite},
    {"dicomDelete", DataAction::DicomDelete},
    {"administer", DataAction::Administer},
}};

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
         });
}

std::string without_spaces(std::string name) {
  std::erase(name, ' ');
  return name;
}

}  // namespace

std::optional<DataActions> action_from_name(std::string_view name) {
  if (name == "*") return kWildcardDataActions;
  if (iequals(name, "read")) return kRead;
  if (iequals(name, "write")) return kWrite;
  // DICOM and management bits are granted by built-in roles only, not by name.
  if (iequals(name, "dicomRead") || iequals(name, "dicomWrite") || iequals(name, "dicomDelete") ||
      iequals(name, "administer"))
    return std::nullopt;
  for (const auto& [action_name, action] : kSingleActions)
    if (iequals(name, action_name)) return bit(action);
  return std::nullopt;
}

bool admits(const Principal& p, DataAction action) {
  if (action == DataAction::None || p.can(action)) return true;
  if (!p.can(DataAction::Smart) ||
      (action != DataAction::Read && action != DataAction::Write && action != DataAction::Delete))
    return false;
  for (const auto& s : p.scopes)
    if (s.starts_with("patient/") || s.starts_with("user/") || s.starts_with("system/")) return true;
  return false;
}

std::string describe_actions(DataActions actions) {
  std::string out;
  for (const auto& [action_name, action] : kSingleActions) {
    if ((actions & bit(action)) == 0) continue;
    if (!out.empty()) out += ',';
    out += action_name;
  }
  return out;
}

RoleTable RoleTable::builtin() {
  using enum DataAction;
  RoleTable t;
  t.add_builtin("FHIR Data Reader", kRead);
  t.add_builtin("FHIR Data Writer", kRead | kWrite | bit(Delete) | bit(Export) | bit(ResourceValidate) |
                                        bit(Reindex) | bit(ConvertData) | bit(EditProfileDefinitions) |
                                        bit(Import));
  t.add_builtin("FHIR Data Contributor", kWildcardDataActions);
  t.add_builtin("FHIR Data Exporter", kRead | bit(Export));
  t.add_builtin("FHIR Data Importer", kRead | bit(Import));
  t.add_builtin("FHIR Data Converter", bit(ConvertData));
  t.add_builtin("FHIR SMART User", kRead | bit(Smart));
  t.add_builtin("DICOM Data Owner", kDicomDataActions);
  t.add_builtin("DICOM Data Reader", bit(DicomRead));
  t.add_builtin("DICOM Data Read", bit(DicomRead));  // the cloud portal's spelling
  t.add_builtin("healthd Administrator", kAllDataActions);  // Administer + everything, not Smart
  return t;
}

void RoleTable::add_builtin(const std::string& display_name, DataActions actions) {
  roles_[display_name] = actions;
  roles_[without_spaces(display_name)] = actions;
}

void RoleTable::add_custom(const std::string& name, DataActions actions) { roles_[name] = actions; }

DataActions RoleTable::actions_for(const std::set<std::string>& roles) const {
  DataActions actions = 0;
  for (const auto& role : roles)
    if (auto it = roles_.find(role); it != roles_.end()) actions |= it->second;
  return actions;
}

bool RoleTable::known(std::string_view name) const { return roles_.find(name) != roles_.end(); }

}  // namespace healthd::auth
