// FHIRPath Patch (https://hl7.org/fhir/R4/fhirpatch.html): a Parameters resource whose `operation`
// parameters add, insert, delete, replace or move elements located by FHIRPath expressions.
// Used by the PATCH interaction (patch.cpp) on bodies sent as application/fhir+json.
//
//   {"resourceType": "Parameters", "parameter": [{"name": "operation", "part": [
//     {"name": "type", "valueCode": "replace"}, {"name": "path", "valueString": "Patient.birthDate"},
//     {"name": "value", "valueDate": "1930-01-01"}]}]}
//
// Behaviour (the spec's table, made precise):
// - add:     `path` must select exactly one element (the container); `name` is the element to add to
//            it. A repeating element gets the value appended; a single one must not exist yet. A
//            choice element may be named by its base (`deceased`, the type comes from value[x]) or
//            in full (`deceasedBoolean`). `extension`/`id` may be added to a primitive.
// - insert:  `path` selects the list (all its items, or nothing for an empty list whose parent
//            exists); `index` must be 0..size.
// - delete:  `path` selects at most one element; nothing is a no-op. Objects left empty by the
//            delete are removed as well (FHIR has no empty elements).
// - replace: `path` selects exactly one existing element; it is replaced whole (a primitive's
//            id/extension too). A choice element may change type (`deceasedBoolean` ->
//            `deceasedDateTime`).
// - move:    `path` selects the list; `source` and `destination` are 0..size-1; the item is
//            removed at source, then inserted at destination.
// Values: `value[x]` (with its `_value[x]` for a primitive's id/extension), `resource` for a
// resource, or nested `part`s building a complex value (an "anonymous" backbone element) whose
// elements are arrays when the definitions say they repeat.
// Primitive lists keep their `_name` sibling arrays aligned on insert, delete and move.
#pragma once

#include <optional>
#include <string>

#include "json/json.h"

namespace healthd::fhir {

class Definitions;

struct FhirPathPatchError {
  enum class Kind {
    Malformed,  // the Parameters resource is not a valid FHIRPath Patch (400)
    Failed,     // a well-formed operation could not be applied to this resource (422)
  };
  Kind kind = Kind::Failed;
  int index = -1;       // 0-based index of the operation parameter; -1 for the whole Parameters
  std::string message;  // "operation 1 (replace Patient.gender): ..." — names the index, type and path
};

// Checks that `params` is a well-formed FHIRPath Patch: a Parameters resource whose parameters are
// all `operation`s with a known `type`, a `path` that parses as FHIRPath, and the parts the type needs.
std::optional<FhirPathPatchError> check_fhirpath_patch(const json::Value& params);

// Applies the operations to `doc` (a resource) in order. Atomic: on any error `doc` is left exactly as
// it was. Runs check_fhirpath_patch first. `defs` gives element types (arrays, choice types, the
// element model of nested parts); without it the engine guesses from the JSON.
std::optional<FhirPathPatchError> apply_fhirpath_patch(json::Document& doc, const json::Value& params,
                                                       const Definitions* defs);

}  // namespace healthd::fhir
