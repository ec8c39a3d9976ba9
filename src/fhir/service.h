// FhirService: the FHIR R4 REST interactions of one FHIR service, transport-independent.
// Takes a Request whose `segments` are the path below the service base, returns a Response.
#pragma once

#include <memory>
#include <string>

#include "common/request.h"
#include "fhir/settings.h"

namespace healthd::fhir {

class Store;
class Definitions;

class FhirService {
 public:
  FhirService(std::string name, ServiceSettings settings, std::shared_ptr<Store> store,
              std::shared_ptr<const Definitions> definitions);
  ~FhirService();

  Response handle(Request& request);

  const ServiceSettings& settings() const;
  // Finishes pending writes and closes the store.
  void close();

  struct Impl;  // defined in service_impl.h, shared by the interaction files only

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace healthd::fhir
