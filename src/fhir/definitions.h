// The FHIR R4 type model, built once from the official StructureDefinitions (profiles-resources.json,
// profiles-types.json): per resource, datatype and backbone element, a hash table from JSON property
// name to what that property holds. The write validator and other readers of resources walk it.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "fhir/primitive_kind.h"

namespace healthd::fhir {

struct TypeModel;

// An invariant of an element (ElementDefinition.constraint): a FHIRPath expression that must hold.
struct Constraint {
  std::string key;         // "pat-1"
  bool error = true;       // severity error; false: warning
  std::string expression;  // FHIRPath, evaluated with the element as the focus
  std::string human;       // what it means, for diagnostics
};

// ElementDefinition.binding, when its strength is required (the only strength that decides validity).
struct RequiredBinding {
  std::string value_set;  // canonical URL without |version
};

enum class ElementKind : uint8_t {
  Primitive,  // JSON boolean / number / string, may have a `_name` sibling
  Complex,    // JSON object of a datatype or backbone element (TypeModel)
  Resource,   // JSON object with its own resourceType (contained, Bundle.entry.resource, ...)
};

// One JSON property of an object: `status`, `valueQuantity` (one type of value[x]), `item` (contentReference).
struct ElementModel {
  static constexpr uint32_t kUnbounded = UINT32_MAX;

  std::string json_name;
  uint16_t slot = 0;        // index of its definition in the owning TypeModel (all types of a choice share one)
  uint32_t min = 0;
  uint32_t max = 1;         // kUnbounded for *
  bool array = false;       // max > 1: a JSON array
  bool choice = false;      // one type of a [x] element
  bool extensible = false;  // a `_json_name` sibling (id/extension of a primitive) is allowed
  bool is_summary = false;  // isSummary in its definition: part of _summary=true
  ElementKind kind = ElementKind::Complex;
  PrimitiveKind primitive = PrimitiveKind::String;  // when kind == Primitive
  std::string type_code;                            // "Quantity", "dateTime", "Resource", "BackboneElement"
  const TypeModel* type = nullptr;                  // when kind == Complex (for a contentReference: its target)
  // Invariants of this element beyond those of its type (Organization.telecom: org-3); ele-1 is
  // checked by the validator itself. The invariants of a backbone element are on its TypeModel.
  std::vector<Constraint> constraints;
  std::shared_ptr<const RequiredBinding> binding;  // nullptr unless the binding is required
};

// An object shape: a resource ("Patient"), a datatype ("HumanName") or a backbone element ("Observation.component").
struct TypeModel {
  static constexpr size_t kMaxSlots = 256;

  std::string name;
  bool is_resource = false;
  std::vector<std::string> slot_names;   // definition names by slot: "status", "value[x]"
  std::vector<uint16_t> required_slots;  // slots with min >= 1
  std::vector<ElementModel> elements;    // one per JSON property name
  std::vector<Constraint> constraints;   // invariants of every object of this shape (except ele-1)

  // The element for a JSON property name; nullptr when unknown. Open-addressing hash lookup.
  const ElementModel* find(std::string_view json_name) const;
  // Builds the lookup table once all elements are in.
  void build_index();

 private:
  std::vector<uint32_t> index_;  // 0 = empty, else element position + 1
  std::vector<uint32_t> hashes_;  // hash of each element's name
  uint32_t mask_ = 0;
};

struct StringHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
};

class Definitions {
 public:
  // Loads profiles-resources.json and profiles-types.json from dir; throws std::runtime_error with a clear message.
  static std::shared_ptr<const Definitions> load(const std::string& dir);

  // Concrete (non-abstract) R4 resource types.
  bool is_resource_type(std::string_view name) const { return resource(name) != nullptr; }
  const std::vector<std::string>& resource_types() const { return resource_types_; }  // sorted

  // Model of a concrete resource type; nullptr when unknown.
  const TypeModel* resource(std::string_view type) const;
  // Model of a complex datatype ("Quantity"), backbone element ("Observation.component") or abstract
  // resource ("DomainResource"); nullptr when unknown.
  const TypeModel* type(std::string_view name) const;
  // Model of Element (id + extension): the shape of a primitive's `_name` sibling.
  const TypeModel& element() const { return *element_; }
  // Every invariant key of the base definitions ("dom-2", "pat-1", ...): profiles repeat them in
  // their snapshots, and the base walk already checks them.
  bool is_base_constraint(std::string_view key) const { return base_constraint_keys_.count(std::string(key)) > 0; }
  // The folder the definitions were read from (value sets and other R4 files are beside them).
  const std::string& dir() const { return dir_; }
  // Every model (resources, datatypes, backbone elements), for whoever needs to visit them all.
  const std::vector<std::unique_ptr<TypeModel>>& models() const { return models_; }

  Definitions(const Definitions&) = delete;
  Definitions& operator=(const Definitions&) = delete;

 private:
  Definitions() = default;
  friend class DefinitionsBuilder;

  std::vector<std::unique_ptr<TypeModel>> models_;
  std::unordered_map<std::string, TypeModel*, StringHash, std::equal_to<>> by_name_;  // every model
  std::unordered_map<std::string, const TypeModel*, StringHash, std::equal_to<>> resources_;
  std::vector<std::string> resource_types_;
  const TypeModel* element_ = nullptr;
  std::unordered_set<std::string> base_constraint_keys_;
  std::string dir_;
};

}  // namespace healthd::fhir
