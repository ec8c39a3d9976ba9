// Shared internals of the FHIRPath engine (not part of the public API).
#pragma once

#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include "fhirpath/fhirpath.h"

namespace healthd::fhirpath {

struct EvalError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// temporal.cpp
std::string format_temporal(const Temporal& t, Kind kind);
// -1/0/1, or nullopt when the precisions differ and the common part is equal.
std::optional<int> compare_temporal(const Temporal& a, Kind ka, const Temporal& b, Kind kb);
// Adds amount of unit (calendar words or UCUM 'a','mo','wk','d','h','min','s','ms'); false if unit is not a duration.
bool add_duration(Temporal& t, Kind kind, double amount, std::string_view unit);
Temporal now_temporal();

// values.cpp
std::string format_decimal(double d, int scale);
int decimal_scale(double d);  // digits after the point of the shortest representation
// Quantity of a Value (System Quantity or FHIR Quantity/Age/Duration... object); false when not one.
bool as_quantity(const Value& v, Value& out);
// Equality (=): nullopt when undecidable (different date precisions, incomparable units).
std::optional<bool> equals(const Value& a, const Value& b);
bool equivalent(const Value& a, const Value& b);
// Ordering (< etc.): nullopt when undecidable; throws EvalError when the types cannot be compared.
std::optional<int> compare(const Value& a, const Value& b);
// Unit to a canonical unit and factor ("mg" -> "g", 0.001); false when unknown.
bool ucum_canonical(std::string_view unit, std::string& canon, double& factor);
// Normalized unit text: calendar words to UCUM where the spec says they are equal (week->wk, ...).
bool parse_quantity_text(std::string_view s, Value& out);
bool is_string_like(const Value& v);

// html_checks.cpp: the Narrative.div rules (txt-1, txt-2); false with a reason when broken.
bool html_checks(std::string_view xhtml, std::string* why);

}  // namespace healthd::fhirpath
