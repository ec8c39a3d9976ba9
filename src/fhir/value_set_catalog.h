// Code membership in the R4 value sets (valuesets.json, v3-codesystems.json, v2-tables.json of the
// definitions folder), for required bindings and memberOf(). Expands compose.include (whole code
// systems, listed concepts, is-a/descendent-of filters, other value sets) minus compose.exclude,
// once per value set, on first use.
//
// Known duplication: search/terminology.* expands the same value sets for search (:in, :below).
// The two were written in parallel; this class is to become an adapter over search::Terminology
// (one expansion) — until then both must agree on what a value set contains.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "fhir/value_set_membership.h"

namespace healthd::fhir {

class ValueSetCatalog : public ValueSetMembership {
 public:
  // One catalog per definitions folder for the whole process (files read on first use).
  static std::shared_ptr<const ValueSetCatalog> open(const std::string& definitions_dir);
  ~ValueSetCatalog() override;

  std::optional<bool> contains(std::string_view value_set, std::string_view system,
                               std::string_view code) const override;

  struct Data;
  struct Expansion;

 private:
  explicit ValueSetCatalog(std::string dir);
  const Data& data() const;
  std::shared_ptr<const Expansion> expansion(const std::string& url, int depth) const;

  std::string dir_;
  mutable std::once_flag loaded_;
  mutable std::unique_ptr<Data> data_;
  mutable std::mutex mu_;
  mutable std::unordered_map<std::string, std::shared_ptr<const Expansion>> cache_;
};

}  // namespace healthd::fhir
