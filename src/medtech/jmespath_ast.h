// JMESPath syntax tree and compiled program (internal to src/medtech).
#pragma once

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "json/json.h"
#include "medtech/jmespath.h"

namespace healthd::medtech::jmespath::detail {

struct FunctionDef;

enum class NodeType : uint8_t {
  Identity,          // @, and the implicit right side of projections
  Field,             // name
  Subexpr,           // children[0] then children[1] (a.b, a[0])
  Index,             // [index]
  Slice,             // [start:stop:step]
  ListProjection,    // children[0] [*] / [] children[1]
  ObjectProjection,  // children[0].* children[1]
  FilterProjection,  // children[0] [? children[2] ] children[1]
  Flatten,           // children[0] []
  Literal,           // `json` or 'raw string'
  Compare,           // children[0] cmp children[1]
  Or,
  And,
  Not,
  Pipe,
  MultiList,         // [a, b]
  MultiHash,         // {k: a}: keys[i] -> children[i]
  Function,          // name(children...)
  ExpRef,            // &children[0]
};

enum class Cmp : uint8_t { Eq, Ne, Lt, Le, Gt, Ge };

struct Node {
  NodeType type = NodeType::Identity;
  Cmp cmp = Cmp::Eq;
  uint32_t offset = 0;  // byte offset of the node's token in the expression, for error messages
  uint32_t depth = 1;   // height of the subtree (the parser bounds it)
  std::string name;     // Field, Function
  int64_t index = 0;    // Index
  std::optional<int64_t> slice[3];
  const json::Value* literal = nullptr;  // Literal: owned by the Program
  const FunctionDef* function = nullptr;
  std::vector<std::unique_ptr<Node>> children;
  std::vector<std::string> keys;  // MultiHash
};

struct Program {
  std::string text;
  std::unique_ptr<Node> root;
  json::Allocator literal_pool;
  std::deque<json::Value> literals;  // stable addresses
};

// jmespath_parser.cpp: nullptr on error.
std::unique_ptr<Program> parse(std::string_view text, Error* error);

}  // namespace healthd::medtech::jmespath::detail
