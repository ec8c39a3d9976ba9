// JMESPath (https://jmespath.org/specification.html) over RapidJSON, with the extra functions of
// Azure MedTech device mappings: add, subtract, multiply, divide, pow, insertString, appendString,
// fromUnixTimestamp, fromUnixTimestampMs (semantics in jmespath_medtech_functions.cpp).
//
//   auto expr = jmespath::Expression::parse("multiply(to_number(matchedToken.height), `0.0254`)", &err);
//   jmespath::Result r = expr->evaluate(message);    // per message; thread-safe
//   if (!r.ok()) ... r.error().message ...
//   const json::Value& v = r.value();
//
// Parse once, evaluate many times: an Expression is immutable and can be shared between threads.
// Function names and argument counts are checked at parse time. Evaluation never modifies the input
// and does not copy it: a result that is part of the input points into it; values the expression
// builds (projections, function results) live in storage owned by the Result. No exception leaves
// this API.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "json/json.h"

namespace healthd::medtech::jmespath {

enum class ErrorKind : uint8_t {
  Syntax,           // the expression does not parse
  UnknownFunction,  // no function of that name
  InvalidArity,     // wrong number of arguments
  InvalidType,      // an argument of the wrong JSON type (evaluation)
  InvalidValue,     // an argument out of range: slice step 0, insertString position, timestamp
  Arithmetic,       // MedTech math functions: overflow, division by zero, not a finite number
};

const char* to_string(ErrorKind kind);  // "syntax", "unknown-function", "invalid-arity", ...

struct Error {
  ErrorKind kind = ErrorKind::Syntax;
  std::string message;  // ends with "at column N"
  size_t column = 0;    // 1-based character column in the expression (the token or function call)
};

namespace detail {
struct Program;
class Arena;
}  // namespace detail

class Result {
 public:
  Result();
  Result(Result&&) noexcept;
  Result& operator=(Result&&) noexcept;
  ~Result();

  bool ok() const { return !error_; }
  const Error& error() const { return *error_; }  // only when !ok()

  // The value (JSON null when !ok()). Valid while this Result and the input document live.
  const json::Value& value() const { return *value_; }
  // A deep copy (strings included) in the caller's allocator, independent of input and Result.
  json::Value copy(json::Allocator& allocator) const;

 private:
  friend class Expression;
  const json::Value* value_;
  std::optional<Error> error_;
  std::unique_ptr<detail::Arena> arena_;             // values built by the evaluation
  std::shared_ptr<const detail::Program> program_;  // literals the value may point into
};

class Expression {
 public:
  // nullopt when text is not a valid expression (error: kind Syntax, UnknownFunction or InvalidArity).
  static std::optional<Expression> parse(std::string_view text, Error* error = nullptr);

  Result evaluate(const json::Value& input) const;

  const std::string& text() const;

 private:
  std::shared_ptr<const detail::Program> program_;
};

}  // namespace healthd::medtech::jmespath
