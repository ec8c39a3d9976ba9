#include "workspace/server_identity.h"

#include <fstream>
#include <sstream>
#include <stdexcept>

#include "json/json.h"

namespace healthd::workspace {

void write_server_identity(const std::string& data_dir, const ServerIdentity& identity) {
  json::Document d(rapidjson::kObjectType);
  auto& a = d.GetAllocator();
  d.AddMember("publicUrl", json::str(identity.public_url, a), a);
  d.AddMember("issuer", json::str(identity.issuer, a), a);
  write_file_atomically(data_dir + "/server.json", json::to_string(d, true));
}

ServerIdentity read_server_identity(const std::string& data_dir) {
  std::string path = data_dir + "/server.json";
  std::ifstream in(path);
  if (!in) throw std::runtime_error("no server has started with data directory '" + data_dir + "' yet (" + path + ")");
  std::stringstream buf;
  buf << in.rdbuf();
  json::Document d;
  std::string why;
  if (!json::parse(buf.str(), d, &why) || !d.IsObject()) throw std::runtime_error(path + ": " + why);
  ServerIdentity id;
  id.public_url = std::string(json::get_string(d, "publicUrl").value_or(""));
  id.issuer = std::string(json::get_string(d, "issuer").value_or(""));
  if (id.public_url.empty() || id.issuer.empty()) throw std::runtime_error(path + ": publicUrl and issuer are required");
  return id;
}

std::string fhir_base_url(const std::string& public_url, const std::string& workspace, const std::string& service) {
  return public_url + "/" + workspace + "/fhir/" + service;
}

std::string medtech_base_url(const std::string& public_url, const std::string& workspace, const std::string& name) {
  return public_url + "/" + workspace + "/medtech/" + name;
}

std::string fhir_audience(const std::string& public_url, const std::string& workspace, const std::string& service,
                          const fhir::ServiceSettings& settings) {
  return settings.audience.empty() ? fhir_base_url(public_url, workspace, service) : settings.audience;
}

std::string dicom_base_url(const std::string& public_url, const std::string& workspace, const std::string& service) {
  return public_url + "/" + workspace + "/dicom/" + service;
}

std::string dicom_audience(const std::string& public_url, const std::string& workspace, const std::string& service,
                           const dicom::DicomSettings& settings) {
  return settings.audience.empty() ? dicom_base_url(public_url, workspace, service) : settings.audience;
}

std::vector<std::string> all_audiences(const ServerIdentity& identity, const ManagementState& state) {
  std::vector<std::string> out{management_audience(identity.public_url)};
  for (const auto& ws : state.workspaces)
    for (const auto& svc : ws.fhir_services) out.push_back(fhir_audience(identity.public_url, ws.name, svc.name, svc.settings));
  for (const auto& ws : state.workspaces)
    for (const auto& svc : ws.dicom_services)
      out.push_back(dicom_audience(identity.public_url, ws.name, svc.name, svc.settings));
  for (const auto& ws : state.workspaces)
    for (const auto& c : ws.iot_connectors) out.push_back(medtech_base_url(identity.public_url, ws.name, c.name));
  return out;
}

}  // namespace healthd::workspace
