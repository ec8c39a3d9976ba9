// The per-type hash table from JSON property name to element: the validator's hot lookup.
#include "fhir/definitions.h"

namespace healthd::fhir {

namespace {

// FNV-1a: property names are short, so a simple byte hash beats std::hash here.
uint32_t name_hash(std::string_view s) {
  uint32_t h = 2166136261u;
  for (unsigned char c : s) h = (h ^ c) * 16777619u;
  return h;
}

}  // namespace

void TypeModel::build_index() {
  uint32_t capacity = 4;
  while (capacity < elements.size() * 2) capacity *= 2;  // load factor <= 1/2
  mask_ = capacity - 1;
  index_.assign(capacity, 0);
  hashes_.resize(elements.size());
  for (uint32_t i = 0; i < elements.size(); ++i) {
    uint32_t h = name_hash(elements[i].json_name);
    hashes_[i] = h;
    uint32_t pos = h & mask_;
    while (index_[pos] != 0) pos = (pos + 1) & mask_;
    index_[pos] = i + 1;
  }
}

const ElementModel* TypeModel::find(std::string_view json_name) const {
  if (index_.empty()) return nullptr;
  uint32_t h = name_hash(json_name);
  for (uint32_t pos = h & mask_;; pos = (pos + 1) & mask_) {
    uint32_t slot = index_[pos];
    if (slot == 0) return nullptr;
    const ElementModel& el = elements[slot - 1];
    if (hashes_[slot - 1] == h && el.json_name == json_name) return &el;
  }
}

}  // namespace healthd::fhir
