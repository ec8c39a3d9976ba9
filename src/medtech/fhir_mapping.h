// The FHIR destination mapping of a MedTech service: a CollectionFhir of CodeValueFhir templates,
// one per measurement type, saying how measurements become an Observation.
//
//   auto loaded = FhirMapping::parse(text);   // errors with line, column, JSON pointer, reason
//   const CodeValueTemplate* t = loaded.mapping->find("heartrate");
//
// Like DeviceMapping, invalid templates are reported and left out; a duplicate typeName is an
// error and the first template of that name is kept. Immutable once loaded.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "medtech/mapping_error.h"

namespace healthd::medtech {

struct Coding {
  std::string code, system, display;  // empty: absent
};

enum class ValueKind { SampledData, Quantity, String, CodeableConcept };

struct ValueSpec {
  ValueKind kind = ValueKind::SampledData;
  std::string value_name;
  double default_period_ms = 0;     // SampledData
  std::string unit, code, system;   // SampledData (unit), Quantity (all three)
  std::string text;                 // CodeableConcept
  std::vector<Coding> codes;        // CodeableConcept
};

struct Category {
  std::string text;
  std::vector<Coding> codes;
};

struct ComponentSpec {
  std::vector<Coding> codes;
  ValueSpec value;
};

// periodInterval: -1 by correlation id, 0 one instant, 60 the UTC hour, 1440 the UTC day.
enum class PeriodInterval : int { Correlation = -1, Instant = 0, Hour = 60, Day = 1440 };

struct CodeValueTemplate {
  std::string type_name;
  PeriodInterval period = PeriodInterval::Instant;
  std::vector<Coding> codes;
  std::vector<Category> categories;
  std::optional<ValueSpec> value;
  std::vector<ComponentSpec> components;

  // True when every value is SampledData: measurements are then gathered into period windows;
  // any other value type gives one Observation per measurement.
  bool sampled() const;
};

class FhirMapping;

struct FhirMappingLoad {
  std::shared_ptr<const FhirMapping> mapping;  // null only when the root itself is unusable
  std::vector<MappingError> errors;
  bool ok() const { return mapping && errors.empty(); }
};

class FhirMapping {
 public:
  static FhirMappingLoad parse(std::string_view text);

  const std::vector<CodeValueTemplate>& templates() const { return templates_; }
  const CodeValueTemplate* find(std::string_view type_name) const;

 private:
  friend class FhirMappingParser;
  std::vector<CodeValueTemplate> templates_;
};

}  // namespace healthd::medtech
