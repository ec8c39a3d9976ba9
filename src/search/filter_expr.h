// The FHIR R4 `_filter` expression language (http://hl7.org/fhir/R4/search_filter.html) parsed
// into a tree; what the tree means (which index, which comparison) is fhir/search_filter's job.
//
//   filter    = paramExp | filter ("and" | "or") filter | "not" "(" filter ")" | "(" filter ")"
//   paramExp  = paramPath SP op SP value
//   paramPath = name ["[" filter "]"] ["." paramPath]
//   value     = "json string" | token (no whitespace, ']' or ')')
// `and` binds tighter than `or`; keywords and operators are case-insensitive.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace healthd::search {

enum class FilterOp { Eq, Ne, Co, Sw, Ew, Gt, Lt, Ge, Le, Ap, Sa, Eb, Pr, Po, Ss, Sb, In, Ni, Re };

std::string_view filter_op_name(FilterOp op);

struct FilterExpr;

// One step of a parameter path: `subject[name eq x]` is {"subject", <name eq x>}.
struct FilterPathStep {
  std::string name;
  std::shared_ptr<const FilterExpr> filter;  // the [filter] on this step, or null
};

struct FilterExpr {
  enum class Kind { Compare, And, Or, Not } kind = Kind::Compare;
  // Compare: path op value.
  std::vector<FilterPathStep> path;
  FilterOp op = FilterOp::Eq;
  std::string value;  // unquoted (a JSON string's escapes resolved)
  // And / Or: two or more; Not: one.
  std::vector<FilterExpr> children;
};

// Longest nesting of parentheses, `not`, and [filter] paths accepted (a bound on recursion).
inline constexpr int kMaxFilterDepth = 32;

// The tree of `text`, or nullopt with `why` saying where and what is wrong.
std::optional<FilterExpr> parse_filter(std::string_view text, std::string& why);

}  // namespace healthd::search
