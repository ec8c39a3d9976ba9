// The Patient compartment (CompartmentDefinition/patient): which resources belong to a patient.
// Built from the R4 definitions: CompartmentDefinition.resource[].param -> the SearchParameter of
// that name for the type -> the type's part of its FHIRPath expression, evaluated by a small
// evaluator (dotted paths, choice elements, `as Reference`, `.where(resolve() is Patient)`).
#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "json/json.h"

namespace healthd::auth {

class PatientCompartment {
 public:
  // One compiled reference path, e.g. Appointment.participant.actor.
  struct Step {
    enum class Kind { Child, AsType, WhereResolveIs } kind;
    std::string name;  // element name, or the type for AsType / WhereResolveIs
    bool choice = false;  // Child followed by AsType: also matches name[x] (valueReference, ...)
  };
  using Path = std::vector<Step>;

  // Reads <dir>/compartmentdefinition-patient.json and <dir>/search-parameters.json.
  // Throws std::runtime_error when a file is missing or malformed.
  static std::shared_ptr<const PatientCompartment> load(const std::string& definitions_dir);

  // One CompartmentDefinition param with its SearchParameter expression (possibly a union over many
  // base types; only the parts rooted at type are used). An empty expression = no SearchParameter.
  struct ParamExpression {
    std::string type, param, expression;
  };
  // What load() builds from the files; usable directly for other definitions and in tests.
  static std::shared_ptr<const PatientCompartment> from_expressions(const std::vector<ParamExpression>& params);

  bool type_in_compartment(std::string_view type) const;  // the type has compartment params
  // Every type with compartment params, in name order.
  std::vector<std::string> types() const {
    std::vector<std::string> out;
    for (const auto& [name, entry] : types_)
      if (!entry.params.empty()) out.push_back(name);
    return out;
  }

  // True when the resource belongs to Patient/patient_id's compartment: it IS that Patient, or a
  // reference at one of the type's compartment paths points to Patient/patient_id (relative
  // "Patient/x", absolute ".../Patient/x", versioned ".../_history/n" also count). Paths the
  // evaluator could not compile never grant membership.
  bool contains(const rapidjson::Value& resource, std::string_view patient_id) const;

  // The compartment's search parameter names for the type (Observation: subject, performer);
  // empty for a type outside the compartment.
  const std::vector<std::string>& params(std::string_view type) const;

  // "Type.param: expression (reason)" for every expression the evaluator cannot handle (R4: none).
  const std::vector<std::string>& unhandled_expressions() const { return unhandled_; }

 private:
  struct TypeEntry {
    std::vector<std::string> params;
    std::vector<Path> paths;
  };

  std::map<std::string, TypeEntry, std::less<>> types_;
  std::vector<std::string> unhandled_;
};

// True when reference ("Patient/1", "https://x/fhir/Patient/1", ".../Patient/1/_history/2") names
// the resource type/id given. Conditional ("Patient?identifier=...") and "#contained" references never do.
bool reference_points_to(std::string_view reference, std::string_view type, std::string_view id);

}  // namespace healthd::auth
