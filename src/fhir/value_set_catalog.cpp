#include "fhir/value_set_catalog.h"

#include "search/terminology.h"

namespace healthd::fhir {

std::shared_ptr<const ValueSetCatalog> ValueSetCatalog::open(const std::string& definitions_dir) {
  return std::make_shared<ValueSetCatalog>(search::Terminology::open(definitions_dir));
}

ValueSetCatalog::ValueSetCatalog(std::shared_ptr<const search::Terminology> terminology)
    : terminology_(std::move(terminology)) {}

std::optional<bool> ValueSetCatalog::contains(std::string_view value_set, std::string_view system,
                                              std::string_view code) const {
  std::string why;
  // Only the definitions' value sets: bindings name those (no stored ValueSets looked up).
  auto e = terminology_->expand(value_set, [](std::string_view, std::string_view) -> std::optional<search::StoredTerm> {
    return std::nullopt;
  }, why);
  if (!e) return std::nullopt;
  const std::string c(code);
  if (system.empty()) {
    for (const auto& [s, codes] : e->codes)
      if (codes.contains(c)) return true;
    // A code without its system may belong to a system taken whole (codes not held here).
    if (!e->whole_systems.empty()) return std::nullopt;
    return false;
  }
  const std::string s(system);
  if (e->whole_systems.contains(s)) return true;
  auto it = e->codes.find(s);
  return it != e->codes.end() && it->second.contains(c);
}

}  // namespace healthd::fhir
