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
}  // namespace healthd::fhir
namespace healthd::auth {
class PatientCompartment;
}
namespace healthd::search {
class SearchParameterRegistry;
class Terminology;
}
namespace healthd::fhir {

class FhirService {
 public:
  // `compartment` (may be null) confines callers with patient/ SMART scopes; `search_params`
  // (may be null) evaluates SMART v2 scope restrictions.
  FhirService(std::string name, ServiceSettings settings, std::shared_ptr<Store> store,
              std::shared_ptr<const Definitions> definitions,
              std::shared_ptr<const auth::PatientCompartment> compartment = nullptr,
              std::shared_ptr<const search::SearchParameterRegistry> search_params = nullptr);
  ~FhirService();

  Response handle(Request& request);

  const ServiceSettings& settings() const;
  // The JSON answered at [base]/.well-known/smart-configuration (built by the issuer's owner).
  void set_smart_configuration(std::string json);
  // The value sets and code systems token :in/:not-in/:above/:below use (unset: not supported).
  void set_terminology(std::shared_ptr<const search::Terminology> terminology);
  // Finishes pending writes and closes the store.
  void close();

  struct Impl;  // defined in service_impl.h, shared by the interaction files only

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace healthd::fhir
