// JMESPath evaluator and function table (internal to src/medtech).
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "medtech/jmespath.h"
#include "medtech/jmespath_ast.h"
#include "medtech/jmespath_value.h"

namespace healthd::medtech::jmespath::detail {

// Thrown inside an evaluation only; Expression::evaluate turns it into Result::error().
struct EvalError {
  ErrorKind kind;
  std::string message;
  uint32_t offset;  // byte offset in the expression
};

class Evaluator {
 public:
  explicit Evaluator(std::unique_ptr<Arena>& arena) : arena_(arena) {}

  Val eval(const Node& n, const Val& current);

  // Storage for new values, created on first use (evaluations that only navigate allocate nothing).
  Arena& arena() {
    if (!arena_) arena_ = std::make_unique<Arena>();
    return *arena_;
  }

  [[noreturn]] static void fail(ErrorKind kind, const Node& at, const std::string& message) {
    throw EvalError{kind, message, at.offset};
  }

 private:
  Val field(const Node& n, const Val& current);
  Val index(const Node& n, const Val& current);
  Val slice(const Node& n, const Val& current);
  Val project(const Node& n, const Val& current);
  Val compare(const Node& n, const Val& current);
  Val call(const Node& n, const Val& current);

  std::unique_ptr<Arena>& arena_;
};

// A function: argument count bounds (max_args < 0: variadic) and implementation. Argument types
// are checked by the implementation (InvalidType).
using FunctionImpl = Val (*)(Evaluator& ev, const Node& call, const Val* args, size_t count);
struct FunctionDef {
  std::string_view name;
  int min_args;
  int max_args;
  FunctionImpl impl;
};

const FunctionDef* find_function(std::string_view name);          // all of them
const FunctionDef* find_spec_function(std::string_view name);     // jmespath_functions.cpp
const FunctionDef* find_medtech_function(std::string_view name);  // jmespath_medtech_functions.cpp

// Argument checking helpers for function implementations.
[[noreturn]] void type_error(const Node& call, size_t arg, const char* expected, const Val& got);
void expect_type(const Node& call, const Val* args, size_t arg, Type t);

}  // namespace healthd::medtech::jmespath::detail
