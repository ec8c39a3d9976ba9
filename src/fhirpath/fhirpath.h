// FHIRPath (N1 / 2.0, as used by FHIR R4) over RapidJSON resources.
//
//   auto expr = fhirpath::Expression::parse("Observation.subject.where(resolve() is Patient)", &err);
//   fhirpath::EvalContext ctx;  ctx.definitions = defs.get();
//   fhirpath::Collection out = fhirpath::evaluate(*expr, resource, ctx);
//   if (!out.ok()) ... out.error ...
//
// Parse once, evaluate many times: the expression is compiled to an AST with resolved function ids,
// so evaluation does no name lookups or string parsing of the expression. Values that come from the
// resource point into the JSON (no copies), so the resource must outlive the result.
#pragma once

#include <rapidjson/document.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace healthd::fhir {
class Definitions;
struct TypeModel;
struct ElementModel;
}  // namespace healthd::fhir

namespace healthd::fhirpath {

enum class Kind : uint8_t {
  Boolean,
  Integer,
  Decimal,
  String,
  Date,
  DateTime,
  Time,
  Quantity,
  Object,    // a JSON object (complex datatype, backbone element, resource) or a resolved reference stub
  TypeInfo,  // result of type(): text = namespace, unit = name
};

// Precision of a date/time value, coarsest first.
enum class Precision : uint8_t { Year = 1, Month, Day, Hour, Minute, Second, Millisecond };

struct Temporal {
  int32_t year = 0;
  uint8_t month = 1, day = 1, hour = 0, minute = 0, second = 0;
  uint16_t millis = 0;
  Precision precision = Precision::Year;  // for Time: Hour..Millisecond
  bool has_tz = false;
  int16_t tz_minutes = 0;
};

struct Value {
  Kind kind = Kind::Boolean;
  bool has_value = true;  // false: a FHIR primitive that only has id/extension (`_name` without a value)
  bool boolean = false;
  int8_t scale = 0;       // Decimal/Quantity: digits after the point (-1: unknown, print shortest)
  int64_t integer = 0;
  double decimal = 0;     // Decimal, Quantity value
  Temporal temporal{};
  std::string text;       // String (when not backed by JSON), TypeInfo namespace
  std::string unit;       // Quantity unit, TypeInfo name
  const rapidjson::Value* node = nullptr;  // JSON value this came from (object or primitive)
  const rapidjson::Value* ext = nullptr;   // the `_name` sibling of a primitive (id, extension)
  const fhir::TypeModel* model = nullptr;  // model of an Object when known
  std::string_view fhir_type;  // FHIR type ("date", "HumanName", "Patient"); empty: a System type

  // The string of a String (or the source text of a JSON-backed date/time/string-like primitive).
  std::string_view str() const {
    if (node != nullptr && node->IsString()) return {node->GetString(), node->GetStringLength()};
    return text;
  }

  static Value of_bool(bool b) { Value v; v.kind = Kind::Boolean; v.boolean = b; return v; }
  static Value of_int(int64_t i) { Value v; v.kind = Kind::Integer; v.integer = i; return v; }
  static Value of_decimal(double d, int scale = -1) {
    Value v; v.kind = Kind::Decimal; v.decimal = d; v.scale = static_cast<int8_t>(scale); return v;
  }
  static Value of_string(std::string s) { Value v; v.kind = Kind::String; v.text = std::move(s); return v; }
};

using Items = std::vector<Value>;

// Result of an evaluation: the output collection, or an error (items empty then).
struct Collection {
  Items items;
  std::string error;
  bool ok() const { return error.empty(); }
  size_t size() const { return items.size(); }
  bool empty() const { return items.empty(); }
  const Value& operator[](size_t i) const { return items[i]; }
};

struct EvalContext {
  const rapidjson::Value* resource = nullptr;  // %resource (default: the evaluated resource)
  const rapidjson::Value* root_resource = nullptr;  // %rootResource (default: %resource)
  const rapidjson::Value* context = nullptr;   // %context (default: the evaluated resource)
  // What %context is when it is not a resource: an element's definition (a primitive's type, a
  // datatype), or the model of an object (a backbone element); the engine then knows its FHIR type.
  const fhir::ElementModel* context_element = nullptr;
  const fhir::TypeModel* context_model = nullptr;
  const fhir::Definitions* definitions = nullptr;  // FHIR types of elements; choice types
  // Extra external constants by name without '%' ("%ucum", "%sct", "%loinc", "%vs-x", "%ext-x" are built in).
  std::unordered_map<std::string, Items> constants;
  std::optional<std::string> now;  // now()/today()/timeOfDay() (ISO dateTime); default: the clock
  bool strict = false;  // unknown element names and `valueQuantity`-style choice names are errors
  // as() over several items keeps those of the type, like the `as` operator, instead of an error:
  // R4 invariants rely on it (dom-3: %resource.descendants().as(canonical)).
  bool lenient_as = false;
  std::function<void(std::string_view name, const Items&)> trace;  // trace(); default: ignored
  // memberOf(valueset): whether a code, Coding or CodeableConcept is in the value set; nullopt
  // when unknown (the function then answers empty). Default: no terminology.
  std::function<std::optional<bool>(const Value& code, const std::string& value_set)> member_of;
};

struct Node;

class Expression {
 public:
  // Parses an expression; on failure returns nullopt and sets error ("... at line L, column C").
  static std::optional<Expression> parse(std::string_view text, std::string* error);
  const std::string& text() const { return text_; }
  const Node& root() const { return *root_; }

 private:
  std::string text_;
  std::shared_ptr<const Node> root_;
};

// Evaluates expr with resource as the focus (and %resource/%context unless set). Never throws.
Collection evaluate(const Expression& expr, const rapidjson::Value& resource, const EvalContext& ctx);

class Evaluator;

// Evaluates many expressions over one resource, as evaluate() would each (the search index of a
// write evaluates ~30): the resource's model is looked up once, not per expression. resource and
// ctx must outlive it; one thread at a time.
class ResourceEvaluator {
 public:
  ResourceEvaluator(const rapidjson::Value& resource, const EvalContext& ctx);
  ~ResourceEvaluator();
  ResourceEvaluator(const ResourceEvaluator&) = delete;
  ResourceEvaluator& operator=(const ResourceEvaluator&) = delete;

  Collection evaluate(const Expression& expr);  // never throws
  const rapidjson::Value& resource() const { return resource_; }
  const EvalContext& context() const { return ctx_; }

 private:
  const rapidjson::Value& resource_;
  const EvalContext& ctx_;
  std::unique_ptr<Evaluator> ev_;  // null when it could not be made: evaluate() reports why
};

// Helpers for callers and tests.
std::string to_string(const Value& v);  // FHIRPath toString(); Objects as JSON
std::string_view type_name(const Value& v);  // "Integer", "date", "Patient", ...
bool parse_temporal(std::string_view s, Kind kind, Temporal& out);  // Date, DateTime or Time text

}  // namespace healthd::fhirpath
