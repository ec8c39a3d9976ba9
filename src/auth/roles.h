// Roles: which data actions a caller's app roles grant (the cloud's built-in roles plus custom ones).
#pragma once

#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>

#include "common/principal.h"

namespace healthd::auth {

// What "*" grants in a role: every FHIR data action. Deliberately narrower than kAllDataActions:
// not Smart (scopes decide), not the DICOM bits (DICOM roles grant those) and not Administer (only
// "healthd Administrator" manages healthd itself), so "FHIR Data Contributor" or a custom "*" role
// cannot reach the management API.
constexpr DataActions kDicomDataActions =
    bit(DataAction::DicomRead) | bit(DataAction::DicomWrite) | bit(DataAction::DicomDelete);
constexpr DataActions kWildcardDataActions =
    kAllDataActions & ~kDicomDataActions & ~bit(DataAction::Administer);

// "read" = Read|Search|ReadById, "write" = Write|Create|Update, "*" = kWildcardDataActions; the
// other names of the reference ("hardDelete", "convertData", "smart", "readById", ...) map to one
// bit each. Case-insensitive. nullopt for an unknown name.
std::optional<DataActions> action_from_name(std::string_view name);

// "read,write,..." for logs and test messages (reverse of action_from_name, one name per bit).
std::string describe_actions(DataActions actions);

// Whether a request needing `action` may go on: the caller holds it, or it is read/write/delete and
// the caller is a SMART user with clinical scopes (the FHIR service then applies the scopes).
bool admits(const Principal& p, DataAction action);

// Role name -> data actions. Names are case-sensitive as the token's "roles" claim carries them.
// Every built-in role answers to its display name ("FHIR Data Reader") and to the same name without
// spaces ("FHIRDataReader"), since app-role values cannot contain spaces.
class RoleTable {
 public:
  // FHIR Data Reader/Writer/Contributor/Exporter/Importer/Converter, FHIR SMART User, DICOM Data
  // Owner, DICOM Data Reader (alias "DICOM Data Read"), healthd Administrator.
  static RoleTable builtin();

  // Adds a role; a custom role with the name of an existing one replaces it.
  void add_custom(const std::string& name, DataActions actions);

  // Union of the actions of the known roles among roles; unknown names grant nothing.
  DataActions actions_for(const std::set<std::string>& roles) const;

  bool known(std::string_view name) const;

 private:
  void add_builtin(const std::string& display_name, DataActions actions);

  std::map<std::string, DataActions, std::less<>> roles_;
};

}  // namespace healthd::auth
