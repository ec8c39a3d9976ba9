// JSON value comparison shared by the JSONPath and JMESPath engines (internal).
#pragma once

#include "json/json.h"

namespace healthd::medtech {

// Numeric order of two JSON numbers (-1, 0, 1), exact for integers of any RapidJSON width.
int compare_numbers(const json::Value& a, const json::Value& b);

// Structural equality: numbers by value (1 == 1.0), objects regardless of member order.
// Values nested deeper than 1000 levels compare unequal rather than risk the stack.
bool json_equal(const json::Value& a, const json::Value& b, int depth = 0);

}  // namespace healthd::medtech
