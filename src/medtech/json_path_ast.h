// JSONPath syntax tree (internal to src/medtech).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "json/json.h"
#include "medtech/i_regexp.h"

namespace healthd::medtech::jsonpath {

struct FilterExpr;

enum class SelectorKind : uint8_t { Name, Wildcard, Index, Slice, Filter };

struct Selector {
  SelectorKind kind = SelectorKind::Name;
  std::string name;                    // Name
  int64_t index = 0;                   // Index
  std::optional<int64_t> start, end;   // Slice
  int64_t step = 1;                    // Slice
  std::unique_ptr<FilterExpr> filter;  // Filter
};

struct Segment {
  bool descendant = false;  // `..`
  std::vector<Selector> selectors;
};

struct Query {
  bool relative = false;  // starts at @ (the filter's current node) rather than $
  std::vector<Segment> segments;

  // Only single name or index selectors, no descendant segments: at most one node.
  bool singular() const {
    for (const Segment& s : segments) {
      if (s.descendant || s.selectors.size() != 1) return false;
      auto k = s.selectors[0].kind;
      if (k != SelectorKind::Name && k != SelectorKind::Index) return false;
    }
    return true;
  }
};

enum class Function : uint8_t { Length, Count, Match, Search, Value };
enum class CompareOp : uint8_t { Eq, Ne, Lt, Le, Gt, Ge };

// RFC 9535 section 2.4.1: the declared types of function parameters and results.
enum class ExprType : uint8_t { Value, Logical, Nodes };

struct FilterExpr {
  enum class Kind : uint8_t {
    Or,        // children: operands
    And,       // children: operands
    Not,       // children[0]
    Compare,   // children[0] op children[1]; both comparables
    Exists,    // query selects at least one node
    Call,      // function; children: arguments
    Literal,   // literal
    Singular,  // query used as a comparable or a ValueType argument
    Nodes,     // query used as a NodesType argument
  };
  Kind kind = Kind::Literal;
  CompareOp op = CompareOp::Eq;
  Function function = Function::Length;
  std::vector<std::unique_ptr<FilterExpr>> children;
  std::unique_ptr<Query> query;
  std::string text;           // backing store of a string literal
  json::Value literal;        // Literal (strings reference `text`)
  std::optional<IRegexp> regex;  // match/search with a literal pattern: compiled at parse time
  bool bad_regex = false;        // the literal pattern is not a valid I-Regexp: never matches
};

}  // namespace healthd::medtech::jsonpath

namespace healthd::medtech {
struct ExpressionError;
}

namespace healthd::medtech::jsonpath {

// json_path_parser.cpp: nullptr on error (error filled).
std::unique_ptr<Query> parse(std::string_view text, ExpressionError* error);

// json_path_eval.cpp: appends the nodes q selects; `current` is @ for relative queries.
void select(const Query& q, const json::Value& root, const json::Value& current,
            std::vector<const json::Value*>& out);
// The node of a singular query, or nullptr.
const json::Value* select_singular(const Query& q, const json::Value& root, const json::Value& current);

}  // namespace healthd::medtech::jsonpath
