// JSON Patch (RFC 6902) over RapidJSON, with JSON Pointer (RFC 6901) paths.
// Used by the PATCH interaction (patch.cpp) on resources sent as application/json-patch+json.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "json/json.h"

namespace healthd::fhir {

struct JsonPatchError {
  enum class Kind {
    Malformed,  // the patch document itself is invalid (not an array of operations, unknown op,
                // missing member, pointer syntax): the client sent a bad request (400)
    Failed,     // a well-formed operation could not be applied to this document: path not
                // found, index out of range, `test` not equal, move into its own child (422)
  };
  Kind kind = Kind::Failed;
  int index = -1;       // 0-based index of the operation in the patch array; -1 for the whole patch
  std::string message;  // "operation 2 (test /gender): ..." — names the index, op and path
};

// Splits a JSON Pointer into its unescaped reference tokens ("" is the whole document: no tokens).
// nullopt when the pointer is malformed (does not start with '/', or '~' not followed by 0 or 1).
std::optional<std::vector<std::string>> parse_json_pointer(std::string_view pointer);

// Checks that `patch` is a well-formed JSON Patch document: an array of objects each with a known
// `op`, a string `path` that is a valid pointer, `from` for move/copy, `value` for add/replace/test.
// Members other than those are ignored (RFC 6902 section 4).
std::optional<JsonPatchError> check_json_patch(const json::Value& patch);

// Applies `patch` to `doc`, operation after operation. Atomic: on any error `doc` is left exactly
// as it was and the error names the failing operation. Runs check_json_patch first.
std::optional<JsonPatchError> apply_json_patch(json::Document& doc, const json::Value& patch);

}  // namespace healthd::fhir
