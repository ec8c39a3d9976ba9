// The 20 FHIR R4 primitive types and the checks of their JSON values (https://hl7.org/fhir/R4/datatypes.html).
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace healthd::fhir {

enum class PrimitiveKind : uint8_t {
  Boolean,
  Integer,
  UnsignedInt,
  PositiveInt,
  Decimal,
  String,
  Markdown,
  Code,
  Id,
  Uri,
  Url,
  Canonical,
  Oid,
  Uuid,
  Base64Binary,
  Instant,
  Date,
  DateTime,
  Time,
  Xhtml,
};

// "dateTime" -> PrimitiveKind::DateTime; nullopt for complex types and unknown names.
std::optional<PrimitiveKind> primitive_kind(std::string_view type_code);
std::string_view primitive_name(PrimitiveKind kind);

// What JSON value a primitive takes.
enum class JsonShape : uint8_t { Boolean, Integer, Number, String };
JsonShape json_shape(PrimitiveKind kind);

// Lexical check of a string-valued primitive against its R4 regex (hand-written, no std::regex).
// Returns nullptr when valid, else a short reason ("month must be 01-12").
const char* check_string_format(PrimitiveKind kind, std::string_view s);

// Range check of an integer-valued primitive; nullptr when valid.
const char* check_integer_range(PrimitiveKind kind, int64_t v);

}  // namespace healthd::fhir
