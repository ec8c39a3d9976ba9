// A message, measurement or group the MedTech pipeline could not process. Reported, never thrown:
// the service counts them and keeps them (dead letters) with their stage and reason.
#pragma once

#include <string>

#include "json/json.h"

namespace healthd::medtech {

namespace error_kind {
// normalize
inline constexpr const char* kNoTemplateMatched = "NoTemplateMatched";
inline constexpr const char* kRequiredValueMissing = "RequiredValueMissing";
inline constexpr const char* kInvalidTimestamp = "InvalidTimestamp";
inline constexpr const char* kInvalidValue = "InvalidValue";          // object/array where a scalar is needed
inline constexpr const char* kExpressionFailed = "ExpressionFailed";  // evaluation error, several matches
// group / transform
inline constexpr const char* kTemplateNotFound = "TemplateNotFound";
inline constexpr const char* kCorrelationIdMissing = "CorrelationIdMissing";
inline constexpr const char* kInvalidQuantity = "InvalidQuantity";
inline constexpr const char* kInvalidSample = "InvalidSample";
inline constexpr const char* kIdentityNotResolved = "IdentityNotResolved";
inline constexpr const char* kIncompatibleObservation = "IncompatibleObservation";
}  // namespace error_kind

struct PipelineError {
  std::string stage;      // "normalize", "group" or "transform"
  std::string kind;       // one of error_kind
  std::string message;
  std::string type_name;  // the measurement type / template typeName, when known
  int template_index = -1;  // device mapping template, when known
  int match_index = -1;     // which token of typeMatchExpression, when known
};

json::Value to_json(const PipelineError& e, json::Allocator& a);

}  // namespace healthd::medtech
