// The device mapping of a MedTech service: a CollectionContent of content templates that turn a
// device message into normalized measurements (see normalize.h).
//
//   auto loaded = DeviceMapping::parse(text);
//   if (!loaded.ok()) ... loaded.errors (each with line, column, JSON pointer, reason) ...
//   normalize(*loaded.mapping, input, ...);
//
// Template kinds: CalculatedContent, JsonPathContent, IotJsonPathContent,
// IotCentralJsonPathContent (names compared without case, an optional "Template" suffix allowed).
// An invalid template is reported and left out; the others still load, so `mapping` is usable
// (for $debug) even when `ok()` is false. Immutable once loaded: share it between threads.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "medtech/mapping_error.h"
#include "medtech/template_expression.h"

namespace healthd::medtech {

enum class ContentKind { Calculated, JsonPath, IotJsonPath, IotCentralJsonPath };
const char* to_string(ContentKind kind);  // "CalculatedContent", ...

struct ValueTemplate {
  std::string name;
  TemplateExpression expression;
  bool required = false;
};

struct ContentTemplate {
  ContentKind kind = ContentKind::Calculated;
  size_t index = 0;  // position in the collection's template array
  std::string type_name;
  TemplateExpression type_match;
  // First expression giving a value wins (IotJsonPathContent falls back to the enqueued time).
  std::vector<TemplateExpression> device_id, timestamp;
  std::optional<TemplateExpression> patient_id, encounter_id, correlation_id;
  std::vector<ValueTemplate> values;
};

class DeviceMapping;

struct DeviceMappingLoad {
  std::shared_ptr<const DeviceMapping> mapping;  // null only when the root itself is unusable
  std::vector<MappingError> errors;
  bool ok() const { return mapping && errors.empty(); }
};

class DeviceMapping {
 public:
  static DeviceMappingLoad parse(std::string_view text);

  const std::vector<ContentTemplate>& templates() const { return templates_; }

  // Templates without a patientIdExpression, as errors: the identity resolution type Create
  // needs a patient id from every message.
  std::vector<std::string> templates_without_patient_id() const;

 private:
  friend class DeviceMappingParser;
  std::vector<ContentTemplate> templates_;
};

}  // namespace healthd::medtech
