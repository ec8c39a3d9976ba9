// The error of a JSONPath or JMESPath expression that does not parse.
#pragma once

#include <cstddef>
#include <string>

namespace healthd::medtech {

struct ExpressionError {
  std::string message;  // human readable; ends with "at column N" when column > 0
  size_t column = 0;    // 1-based character (code point) column in the expression; 0: none
};

}  // namespace healthd::medtech
