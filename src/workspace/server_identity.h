// <data>/server.json: how this server is addressed (public URL, built-in issuer), written at
// start so that tools working on the same data directory (`healthd token`) sign tokens the
// running server accepts.
#pragma once

#include <string>
#include <vector>

#include "dicom/settings.h"
#include "fhir/settings.h"
#include "workspace/management_file.h"

namespace healthd::workspace {

struct ServerIdentity {
  std::string public_url;  // e.g. http://127.0.0.1:8080
  std::string issuer;      // `iss` of the built-in issuer's tokens
};

void write_server_identity(const std::string& data_dir, const ServerIdentity& identity);
// Throws std::runtime_error when no server has started on this data directory yet.
ServerIdentity read_server_identity(const std::string& data_dir);

// Base URL of a FHIR service, and the audience its tokens must carry.
std::string fhir_base_url(const std::string& public_url, const std::string& workspace, const std::string& service);
std::string fhir_audience(const std::string& public_url, const std::string& workspace, const std::string& service,
                          const fhir::ServiceSettings& settings);
// Base URL of a DICOM service (<public>/<ws>/dicom/<name>), and the audience its tokens must carry.
std::string dicom_base_url(const std::string& public_url, const std::string& workspace, const std::string& service);
std::string dicom_audience(const std::string& public_url, const std::string& workspace, const std::string& service,
                           const dicom::DicomSettings& settings);
// Base URL of a MedTech service, which is also the audience its tokens must carry.
std::string medtech_base_url(const std::string& public_url, const std::string& workspace, const std::string& name);
// The audience of the management API (and of server-wide routes): the public URL itself.
inline std::string management_audience(const std::string& public_url) { return public_url; }
// Every audience of this server: the management API, each FHIR, DICOM and MedTech service.
std::vector<std::string> all_audiences(const ServerIdentity& identity, const ManagementState& state);

}  // namespace healthd::workspace
