// Compiled profiles by canonical URL, loaded from the StructureDefinitions stored in the service.
// Cleared whenever a StructureDefinition is written (FhirService wires that to its store).
#pragma once

#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "fhir/definitions.h"
#include "fhir/profile.h"

namespace healthd::fhir {

class ProfileCache {
 public:
  // The stored StructureDefinition (JSON text) with this url, or nullopt.
  using Loader = std::function<std::optional<std::string>(const std::string& url)>;
  ProfileCache(std::shared_ptr<const Definitions> defs, Loader loader);

  struct Result {
    std::shared_ptr<const Profile> profile;  // nullptr: see error
    std::string error;                       // unknown url, or a StructureDefinition that does not compile
  };
  // url may carry |version (ignored: the stored one is used).
  Result get(const std::string& url);
  void invalidate();

 private:
  std::shared_ptr<const Definitions> defs_;
  Loader loader_;
  std::mutex mu_;
  uint64_t generation_ = 0;  // bumped by invalidate(): a load that raced with a write is not kept
  std::unordered_map<std::string, Result> cache_;
};

}  // namespace healthd::fhir
