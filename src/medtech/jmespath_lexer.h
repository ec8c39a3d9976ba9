// JMESPath tokens (internal to src/medtech).
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "medtech/jmespath_ast.h"

namespace healthd::medtech::jmespath::detail {

enum class Tok : uint8_t {
  Eof,
  UnquotedIdentifier,
  QuotedIdentifier,
  Literal,    // `json` and 'raw string': value in Token::literal
  Number,     // -?[0-9]+ (indices and slices)
  Dot,
  Star,
  Flatten,    // []
  Filter,     // [?
  LBracket,
  RBracket,
  LBrace,
  RBrace,
  LParen,
  RParen,
  Comma,
  Colon,
  Pipe,
  Or,
  And,
  Expref,     // &
  Not,
  Eq,
  Ne,
  Lt,
  Le,
  Gt,
  Ge,
  Current,    // @
};

const char* token_name(Tok t);

struct Token {
  Tok type = Tok::Eof;
  uint32_t offset = 0;  // byte offset in the expression
  std::string text;     // identifiers (decoded)
  int64_t number = 0;
  const json::Value* literal = nullptr;
};

// Splits text into tokens (the last is Eof). Literals are stored in program. Returns false and
// fills error (kind Syntax) on a lexical error.
bool tokenize(std::string_view text, Program& program, std::vector<Token>& out, Error* error);

}  // namespace healthd::medtech::jmespath::detail
