// JMESPath parser: a Pratt (top-down operator precedence) parser over the token list.
// Binding powers follow the specification's precedence: pipe < or < and < comparisons < flatten
// < star < filter < dot < not < { < [ < (. Projections stop at tokens binding below 10.
#include "medtech/jmespath_eval.h"
#include "medtech/jmespath_lexer.h"
#include "common/utf8.h"

#include <algorithm>

namespace healthd::medtech::jmespath::detail {

namespace {

constexpr int kProjectionStop = 10;
constexpr uint32_t kMaxDepth = 256;  // nesting of the syntax tree (parentheses, chains, brackets)

int binding_power(Tok t) {
  switch (t) {
    case Tok::Pipe: return 1;
    case Tok::Or: return 2;
    case Tok::And: return 3;
    case Tok::Eq:
    case Tok::Ne:
    case Tok::Lt:
    case Tok::Le:
    case Tok::Gt:
    case Tok::Ge: return 5;
    case Tok::Flatten: return 9;
    case Tok::Star: return 20;
    case Tok::Filter: return 21;
    case Tok::Dot: return 40;
    case Tok::Not: return 45;
    case Tok::LBrace: return 50;
    case Tok::LBracket: return 55;
    case Tok::LParen: return 60;
    default: return 0;
  }
}

struct Failure {
  ErrorKind kind;
  std::string message;
  size_t offset;
};

using NodePtr = std::unique_ptr<Node>;

class Parser {
 public:
  Parser(std::string_view text, std::vector<Token>& tokens) : text_(text), t_(tokens) {}

  NodePtr run() {
    NodePtr root = expression(0);
    if (cur().type != Tok::Eof) unexpected();
    return root;
  }

 private:
  const Token& cur() const { return t_[p_]; }
  const Token& ahead(size_t k) const { return t_[std::min(p_ + k, t_.size() - 1)]; }
  const Token& advance() { return t_[p_ < t_.size() - 1 ? p_++ : p_]; }

  [[noreturn]] void fail(std::string m, size_t offset, ErrorKind kind = ErrorKind::Syntax) {
    throw Failure{kind, std::move(m), offset};
  }
  [[noreturn]] void unexpected() { unexpected(cur()); }
  [[noreturn]] void unexpected(const Token& tok) {
    fail(tok.type == Tok::Eof ? "unexpected end of expression" : std::string("unexpected ") + token_name(tok.type),
         tok.offset);
  }
  void expect(Tok type) {
    if (cur().type != type) {
      if (cur().type == Tok::Eof) fail(std::string("expected ") + token_name(type) + " before the end", cur().offset);
      fail(std::string("expected ") + token_name(type) + ", found " + token_name(cur().type), cur().offset);
    }
    advance();
  }

  NodePtr node(NodeType type, const Token& at) {
    auto n = std::make_unique<Node>();
    n->type = type;
    n->offset = at.offset;
    return n;
  }
  NodePtr node(NodeType type, const Token& at, NodePtr a, NodePtr b = nullptr, NodePtr c = nullptr) {
    NodePtr n = node(type, at);
    for (NodePtr* child : {&a, &b, &c})
      if (*child) n->children.push_back(std::move(*child));
    check_depth(*n, at);
    return n;
  }
  NodePtr identity(const Token& at) { return node(NodeType::Identity, at); }

  // Bounds the depth of the tree (left-deep chains such as a.b.c... included), so evaluating or
  // destroying it cannot exhaust the stack.
  void check_depth(Node& n, const Token& at) {
    uint32_t d = 0;
    for (const auto& c : n.children) d = std::max(d, c->depth);
    n.depth = d + 1;
    if (n.depth > kMaxDepth) fail("expression nested too deeply", at.offset);
  }

  NodePtr expression(int rbp) {
    if (++recursion_ > static_cast<int>(kMaxDepth)) fail("expression nested too deeply", cur().offset);
    const Token& tok = advance();
    NodePtr left = nud(tok);
    while (rbp < binding_power(cur().type)) {
      const Token& op = advance();
      left = led(op, std::move(left));
    }
    --recursion_;
    return left;
  }

  NodePtr nud(const Token& tok) {
    switch (tok.type) {
      case Tok::Literal: {
        NodePtr n = node(NodeType::Literal, tok);
        n->literal = tok.literal;
        return n;
      }
      case Tok::UnquotedIdentifier: {
        NodePtr n = node(NodeType::Field, tok);
        n->name = tok.text;
        return n;
      }
      case Tok::QuotedIdentifier: {
        if (cur().type == Tok::LParen) fail("a quoted identifier cannot name a function", tok.offset);
        NodePtr n = node(NodeType::Field, tok);
        n->name = tok.text;
        return n;
      }
      case Tok::Star: {
        NodePtr right = cur().type == Tok::RBracket ? identity(tok) : projection_rhs(binding_power(Tok::Star));
        return node(NodeType::ObjectProjection, tok, identity(tok), std::move(right));
      }
      case Tok::Filter:
        return filter(tok, identity(tok));
      case Tok::LBrace:
        return multi_hash(tok);
      case Tok::LParen: {
        NodePtr e = expression(0);
        expect(Tok::RParen);
        return e;
      }
      case Tok::Flatten: {
        NodePtr left = node(NodeType::Flatten, tok, identity(tok));
        NodePtr right = projection_rhs(binding_power(Tok::Flatten));
        return node(NodeType::ListProjection, tok, std::move(left), std::move(right));
      }
      case Tok::Not:
        return node(NodeType::Not, tok, expression(binding_power(Tok::Not)));
      case Tok::LBracket:
        if (cur().type == Tok::Number || cur().type == Tok::Colon) return index_or_slice(tok, identity(tok));
        if (cur().type == Tok::Star && ahead(1).type == Tok::RBracket) {
          advance();
          advance();
          return node(NodeType::ListProjection, tok, identity(tok), projection_rhs(binding_power(Tok::Star)));
        }
        return multi_list(tok);
      case Tok::Current:
        return identity(tok);
      case Tok::Expref:
        return node(NodeType::ExpRef, tok, expression(0));
      default:
        unexpected(tok);
    }
  }

  NodePtr led(const Token& tok, NodePtr left) {
    switch (tok.type) {
      case Tok::Dot:
        if (cur().type == Tok::Star) {
          advance();
          return node(NodeType::ObjectProjection, tok, std::move(left), projection_rhs(binding_power(Tok::Dot)));
        }
        return node(NodeType::Subexpr, tok, std::move(left), dot_rhs(binding_power(Tok::Dot)));
      case Tok::Pipe:
        return node(NodeType::Pipe, tok, std::move(left), expression(binding_power(Tok::Pipe)));
      case Tok::Or:
        return node(NodeType::Or, tok, std::move(left), expression(binding_power(Tok::Or)));
      case Tok::And:
        return node(NodeType::And, tok, std::move(left), expression(binding_power(Tok::And)));
      case Tok::LParen:
        return function_call(tok, std::move(left));
      case Tok::Filter:
        return filter(tok, std::move(left));
      case Tok::Eq:
      case Tok::Ne:
      case Tok::Lt:
      case Tok::Le:
      case Tok::Gt:
      case Tok::Ge: {
        static constexpr Cmp kCmp[] = {Cmp::Eq, Cmp::Ne, Cmp::Lt, Cmp::Le, Cmp::Gt, Cmp::Ge};
        NodePtr n = node(NodeType::Compare, tok, std::move(left), expression(binding_power(tok.type)));
        n->cmp = kCmp[static_cast<int>(tok.type) - static_cast<int>(Tok::Eq)];
        return n;
      }
      case Tok::Flatten: {
        NodePtr flat = node(NodeType::Flatten, tok, std::move(left));
        return node(NodeType::ListProjection, tok, std::move(flat), projection_rhs(binding_power(Tok::Flatten)));
      }
      case Tok::LBracket:
        if (cur().type == Tok::Number || cur().type == Tok::Colon) return index_or_slice(tok, std::move(left));
        expect(Tok::Star);
        expect(Tok::RBracket);
        return node(NodeType::ListProjection, tok, std::move(left), projection_rhs(binding_power(Tok::Star)));
      default:
        unexpected(tok);
    }
  }

  // What follows a projection: nothing (identity), or more of the chain.
  NodePtr projection_rhs(int rbp) {
    const Token& tok = cur();
    if (binding_power(tok.type) < kProjectionStop) return identity(tok);
    if (tok.type == Tok::LBracket || tok.type == Tok::Filter) return expression(rbp);
    if (tok.type == Tok::Dot) {
      advance();
      return dot_rhs(rbp);
    }
    unexpected();
  }

  // After '.': an identifier, '*', a multi-select list or hash.
  NodePtr dot_rhs(int rbp) {
    const Token& tok = cur();
    switch (tok.type) {
      case Tok::UnquotedIdentifier:
      case Tok::QuotedIdentifier:
      case Tok::Star:
        return expression(rbp);
      case Tok::LBracket:
        advance();
        return multi_list(tok);
      case Tok::LBrace:
        advance();
        return multi_hash(tok);
      default:
        if (tok.type == Tok::Eof) fail("expected an identifier after '.'", tok.offset);
        fail(std::string("expected an identifier after '.', found ") + token_name(tok.type), tok.offset);
    }
  }

  NodePtr filter(const Token& tok, NodePtr left) {
    NodePtr condition = expression(0);
    expect(Tok::RBracket);
    NodePtr right = cur().type == Tok::Flatten ? identity(cur()) : projection_rhs(binding_power(Tok::Filter));
    return node(NodeType::FilterProjection, tok, std::move(left), std::move(right), std::move(condition));
  }

  // After '[' with a number or ':' next: [n] or [start:stop:step]. A slice projects.
  NodePtr index_or_slice(const Token& tok, NodePtr left) {
    bool is_slice = cur().type == Tok::Colon || ahead(1).type == Tok::Colon;
    if (!is_slice) {
      NodePtr idx = node(NodeType::Index, tok);
      idx->index = advance().number;
      expect(Tok::RBracket);
      return node(NodeType::Subexpr, tok, std::move(left), std::move(idx));
    }
    NodePtr sl = node(NodeType::Slice, tok);
    int part = 0;
    bool have_number = false;
    while (cur().type != Tok::RBracket) {
      if (cur().type == Tok::Colon) {
        if (++part > 2) fail("too many ':' in a slice", cur().offset);
        have_number = false;
        advance();
      } else if (cur().type == Tok::Number && !have_number) {
        sl->slice[part] = advance().number;
        have_number = true;
      } else {
        unexpected();
      }
    }
    advance();
    NodePtr base = node(NodeType::Subexpr, tok, std::move(left), std::move(sl));
    return node(NodeType::ListProjection, tok, std::move(base), projection_rhs(binding_power(Tok::Star)));
  }

  // After '[': expr (, expr)* ]
  NodePtr multi_list(const Token& tok) {
    NodePtr n = node(NodeType::MultiList, tok);
    while (true) {
      n->children.push_back(expression(0));
      if (cur().type == Tok::RBracket) break;
      expect(Tok::Comma);
    }
    advance();
    check_depth(*n, tok);
    return n;
  }

  // After '{': key: expr (, key: expr)* }
  NodePtr multi_hash(const Token& tok) {
    NodePtr n = node(NodeType::MultiHash, tok);
    while (true) {
      const Token& key = cur();
      if (key.type != Tok::UnquotedIdentifier && key.type != Tok::QuotedIdentifier) {
        if (key.type == Tok::Eof) fail("expected a key before the end", key.offset);
        fail(std::string("expected a key, found ") + token_name(key.type), key.offset);
      }
      advance();
      expect(Tok::Colon);
      n->keys.push_back(key.text);
      n->children.push_back(expression(0));
      if (cur().type == Tok::Comma) {
        advance();
        continue;
      }
      expect(Tok::RBrace);
      break;
    }
    check_depth(*n, tok);
    return n;
  }

  NodePtr function_call(const Token& tok, NodePtr callee) {
    if (callee->type != NodeType::Field) fail("only a name can be called", tok.offset);
    NodePtr n = node(NodeType::Function, tok);
    n->name = callee->name;
    n->offset = callee->offset;
    while (cur().type != Tok::RParen) {
      n->children.push_back(expression(0));
      if (cur().type == Tok::RParen) break;
      expect(Tok::Comma);
      if (cur().type == Tok::RParen) unexpected();
    }
    advance();
    size_t at = callee->offset;
    const FunctionDef* def = find_function(n->name);
    if (def == nullptr) fail("unknown function '" + n->name + "()'", at, ErrorKind::UnknownFunction);
    int argc = static_cast<int>(n->children.size());
    if (argc < def->min_args || (def->max_args >= 0 && argc > def->max_args)) {
      std::string want = def->max_args < 0                ? "at least " + std::to_string(def->min_args)
                         : def->min_args == def->max_args ? std::to_string(def->min_args)
                                                          : std::to_string(def->min_args) + " to " +
                                                                std::to_string(def->max_args);
      fail(n->name + "() takes " + want + " argument(s), got " + std::to_string(argc), at, ErrorKind::InvalidArity);
    }
    n->function = def;
    check_depth(*n, tok);
    return n;
  }

  std::string_view text_;
  std::vector<Token>& t_;
  size_t p_ = 0;
  int recursion_ = 0;
};

}  // namespace

std::unique_ptr<Program> parse(std::string_view text, Error* error) {
  auto program = std::make_unique<Program>();
  program->text = std::string(text);
  std::vector<Token> tokens;
  if (!tokenize(text, *program, tokens, error)) return nullptr;
  try {
    program->root = Parser(text, tokens).run();
    return program;
  } catch (const Failure& f) {
    if (error != nullptr) {
      error->kind = f.kind;
      error->column = utf8::column(text, f.offset);
      error->message = f.message + " at column " + std::to_string(error->column);
    }
    return nullptr;
  }
}

}  // namespace healthd::medtech::jmespath::detail
