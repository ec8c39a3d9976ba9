// Code membership in the R4 value sets, for required bindings and memberOf(): an adapter over the
// one value set expansion of the project, search::Terminology (search/terminology.h), which token
// :in/:not-in use too. Value sets it cannot expand are not judged.
#pragma once

#include <memory>
#include <string>

#include "fhir/value_set_membership.h"

namespace healthd::search {
class Terminology;
}

namespace healthd::fhir {

class ValueSetCatalog : public ValueSetMembership {
 public:
  // Over the process's Terminology of the definitions folder (read on first use).
  static std::shared_ptr<const ValueSetCatalog> open(const std::string& definitions_dir);
  explicit ValueSetCatalog(std::shared_ptr<const search::Terminology> terminology);

  std::optional<bool> contains(std::string_view value_set, std::string_view system,
                               std::string_view code) const override;

 private:
  std::shared_ptr<const search::Terminology> terminology_;
};

}  // namespace healthd::fhir
