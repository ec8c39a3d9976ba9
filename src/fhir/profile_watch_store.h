// A Store that tells the profile cache when StructureDefinitions change: every write of every
// interaction (and of bundles) goes through Store::commit, so this is the one place to notice.
#pragma once

#include <memory>

#include "fhir/profile_cache.h"
#include "fhir/store.h"

namespace healthd::fhir {

std::shared_ptr<Store> watch_profile_writes(std::shared_ptr<Store> inner, std::shared_ptr<ProfileCache> profiles);

}  // namespace healthd::fhir
