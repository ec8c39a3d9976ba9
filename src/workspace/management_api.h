// The management API under /management, shaped like the cloud resource manager:
// workspaces and their FHIR and DICOM services (PUT creates or replaces, GET, DELETE, list as
// {"value": [...]}). IoT connectors (MedTech services) and their FHIR destinations in
// management_iot.cpp.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "common/request.h"

namespace healthd::fhir {
class Definitions;
}

namespace healthd::workspace {

class Registry;

class ManagementApi {
 public:
  // `definitions` (may be null) checks resource types named in versioningByType.
  ManagementApi(Registry& registry, std::shared_ptr<const fhir::Definitions> definitions);

  // `segments` is the whole split path, starting with "management".
  // Sets Response.service = "management" and Response.route = "management.<what>.<verb>".
  Response handle(const Request& request, const std::vector<std::string>& segments);

 private:
  Response workspaces_list(const Request& request);
  Response workspace(const Request& request, const std::string& ws);
  Response fhir_services_list(const Request& request, const std::string& ws);
  Response fhir_service(const Request& request, const std::string& ws, const std::string& name);
  Response dicom_services_list(const Request& request, const std::string& ws);
  Response dicom_service(const Request& request, const std::string& ws, const std::string& name);
  // /management/workspaces/{ws}/iotconnectors[/{name}[/fhirdestinations[/{dest}]]]
  Response iot(const Request& request, const std::string& ws, const std::vector<std::string>& segments);
  Response iot_connector(const Request& request, const std::string& ws, const std::string& name);
  Response fhir_destination(const Request& request, const std::string& ws, const std::string& name,
                            const std::string& dest);

  Registry& registry_;
  std::shared_ptr<const fhir::Definitions> definitions_;
};

}  // namespace healthd::workspace
