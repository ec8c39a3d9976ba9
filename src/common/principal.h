// Principal: who is calling, as established from a validated bearer token.
// Plain data, so every layer can read it without depending on auth/.
#pragma once

#include <cstdint>
#include <set>
#include <string>
#include <vector>

namespace healthd {

// Data actions (a bit set), as the cloud's role definitions name them.
enum class DataAction : uint32_t {
  None = 0,
  Read = 1u << 0,            // read, vread, history, search
  Write = 1u << 1,           // create, update, patch
  Delete = 1u << 2,          // soft delete
  HardDelete = 1u << 3,      // hardDelete, $purge-history
  Export = 1u << 4,
  ResourceValidate = 1u << 5,
  Reindex = 1u << 6,
  ConvertData = 1u << 7,
  EditProfileDefinitions = 1u << 8,
  Import = 1u << 9,
  SearchParameter = 1u << 10,
  BulkOperator = 1u << 11,
  Smart = 1u << 12,          // never implied by "*": scopes decide
  // SMART v2 granular actions
  Search = 1u << 13,
  ReadById = 1u << 14,
  Create = 1u << 15,
  Update = 1u << 16,
  // DICOM
  DicomRead = 1u << 20,
  DicomWrite = 1u << 21,
  DicomDelete = 1u << 22,
  // healthd management API
  Administer = 1u << 28,
};

using DataActions = uint32_t;
constexpr DataActions bit(DataAction a) { return static_cast<DataActions>(a); }
// Everything "*" grants: all bits but Smart.
constexpr DataActions kAllDataActions = 0xFFFFFFFFu & ~bit(DataAction::Smart);

struct Principal {
  std::string subject;        // sub
  std::string object_id;      // oid, else sub
  std::string issuer;         // iss
  std::string client_id;      // appid / azp / client_id
  std::string tenant_id;      // tid
  std::string fhir_user;      // fhirUser claim (URL or Type/id)
  std::string patient;        // patient claim (launch context), else from fhirUser when it names a Patient
  std::set<std::string> roles;
  std::vector<std::string> scopes;  // scp / scope, split on spaces
  DataActions actions = 0;          // union of the roles' actions
  int64_t expires_at = 0;           // exp, seconds since epoch

  bool can(DataAction a) const { return (actions & bit(a)) != 0; }
};

}  // namespace healthd
