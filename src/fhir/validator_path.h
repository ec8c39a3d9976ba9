// Where the validator is in a resource: a chain of stack frames, turned into a FHIRPath-style
// expression (Patient.name[0].given[1]) only when an issue is reported.
#pragma once

#include <string>
#include <string_view>

namespace healthd::fhir {

struct ValidatorPath {
  const ValidatorPath* parent = nullptr;
  std::string_view name;  // element name; the resource type at the root; empty for an array item
  int index = -1;         // array index when >= 0

  ValidatorPath child(std::string_view n) const { return {this, n, -1}; }
  ValidatorPath item(int i) const { return {this, {}, i}; }

  std::string str() const {
    std::string head = parent ? parent->str() : std::string();
    if (index >= 0) return head + "[" + std::to_string(index) + "]";
    if (name.empty()) return head;
    return head.empty() ? std::string(name) : head + "." + std::string(name);
  }
  // "Patient.name[0]" + ".family", for elements that are missing.
  std::string str(std::string_view missing) const {
    std::string head = str();
    return head.empty() ? std::string(missing) : head + "." + std::string(missing);
  }
};

}  // namespace healthd::fhir
