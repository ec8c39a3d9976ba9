// JSONPath parser: RFC 9535 grammar (section 2 and appendix A) with the Newtonsoft extensions
// listed in json_path.h. Recursive descent; nesting is limited so hostile input cannot exhaust
// the stack.
#include <cerrno>
#include <cstdlib>

#include "medtech/expression_error.h"
#include "medtech/json_path_ast.h"
#include "common/utf8.h"

namespace healthd::medtech::jsonpath {

namespace {

constexpr int kMaxDepth = 64;  // nested filters, parentheses and function calls
constexpr int64_t kMaxInt = 9007199254740991;  // 2^53 - 1: the I-JSON range of indices

struct Failure {
  std::string message;
  size_t at;  // byte offset
};

bool is_blank(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_alpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

ExprType result_type(Function f) {
  switch (f) {
    case Function::Match:
    case Function::Search:
      return ExprType::Logical;
    default:
      return ExprType::Value;
  }
}

class Parser {
 public:
  explicit Parser(std::string_view s) : s_(s) {}

  std::unique_ptr<Query> run() {
    if (peek() != '$') fail("a JSONPath expression starts with '$'");
    ++i_;
    auto q = std::make_unique<Query>();
    segments(*q, 0);
    if (i_ != s_.size()) fail("unexpected '" + std::string(1, s_[i_]) + "'");
    return q;
  }

 private:
  [[noreturn]] void fail(std::string m) { throw Failure{std::move(m), i_}; }
  [[noreturn]] void fail_at(std::string m, size_t at) { throw Failure{std::move(m), at}; }

  char peek(size_t ahead = 0) const { return i_ + ahead < s_.size() ? s_[i_ + ahead] : '\0'; }
  bool at_end() const { return i_ >= s_.size(); }
  void blank() {
    while (!at_end() && is_blank(s_[i_])) ++i_;
  }
  void expect(char c) {
    if (peek() != c) fail(std::string("expected '") + c + "'");
    ++i_;
  }
  bool consume(std::string_view tok) {
    if (s_.substr(i_, tok.size()) != tok) return false;
    i_ += tok.size();
    return true;
  }

  // Segments after $ or @: *(S segment). Blank space is given back when no segment follows it.
  void segments(Query& q, int depth) {
    while (true) {
      size_t save = i_;
      blank();
      if (peek() == '[') {
        Segment seg;
        bracketed(seg, depth);
        q.segments.push_back(std::move(seg));
      } else if (peek() == '.' && peek(1) == '.') {
        i_ += 2;
        Segment seg;
        seg.descendant = true;
        if (peek() == '[') {
          bracketed(seg, depth);
        } else if (peek() == '*') {
          ++i_;
          seg.selectors.push_back(wildcard());
        } else if (name_first()) {
          seg.selectors.push_back(name_selector(shorthand_name()));
        } else {
          fail("expected a name, '*' or '[' after '..'");
        }
        q.segments.push_back(std::move(seg));
      } else if (peek() == '.') {
        ++i_;
        Segment seg;
        if (peek() == '*') {
          ++i_;
          seg.selectors.push_back(wildcard());
        } else if (name_first()) {
          seg.selectors.push_back(name_selector(shorthand_name()));
        } else {
          fail("expected a name or '*' after '.'");
        }
        q.segments.push_back(std::move(seg));
      } else {
        i_ = save;
        return;
      }
    }
  }

  static Selector wildcard() {
    Selector s;
    s.kind = SelectorKind::Wildcard;
    return s;
  }

  static Selector name_selector(std::string name) {
    Selector s;
    s.kind = SelectorKind::Name;
    s.name = std::move(name);
    return s;
  }

  // name-first: ALPHA / "_" / any non-ASCII code point.
  bool name_first() const {
    char c = peek();
    return is_alpha(c) || c == '_' || static_cast<unsigned char>(c) >= 0x80;
  }

  // member-name-shorthand; '-' is accepted after the first character (Newtonsoft).
  std::string shorthand_name() {
    size_t start = i_;
    while (!at_end()) {
      char c = s_[i_];
      if (is_alpha(c) || is_digit(c) || c == '_' || c == '-') {
        ++i_;
      } else if (static_cast<unsigned char>(c) >= 0x80) {
        size_t at = i_;
        if (utf8::decode(s_, i_) == utf8::kInvalid) fail_at("invalid UTF-8", at);
      } else {
        break;
      }
    }
    return std::string(s_.substr(start, i_ - start));
  }

  // "[" S selector *(S "," S selector) S "]"
  void bracketed(Segment& seg, int depth) {
    expect('[');
    blank();
    while (true) {
      seg.selectors.push_back(selector(depth));
      blank();
      if (peek() == ',') {
        ++i_;
        blank();
        continue;
      }
      if (peek() == ']') {
        ++i_;
        return;
      }
      fail("expected ',' or ']'");
    }
  }

  Selector selector(int depth) {
    char c = peek();
    Selector s;
    if (c == '\'' || c == '"') {
      s.kind = SelectorKind::Name;
      s.name = string_literal();
    } else if (c == '*') {
      ++i_;
      s.kind = SelectorKind::Wildcard;
    } else if (c == '?') {
      ++i_;
      blank();
      s.kind = SelectorKind::Filter;
      s.filter = logical_or(depth + 1);
    } else if (c == '-' || is_digit(c) || c == ':') {
      index_or_slice(s);
    } else {
      fail("expected a selector");
    }
    return s;
  }

  // int = "0" / (["-"] DIGIT1 *DIGIT), within +-(2^53-1).
  int64_t integer() {
    size_t start = i_;
    bool neg = consume("-");
    if (!is_digit(peek())) fail("expected a digit");
    if (peek() == '0') {
      if (neg) fail_at("'-0' is not a valid integer here", start);
      ++i_;
      if (is_digit(peek())) fail_at("leading zeros are not allowed", start);
      return 0;
    }
    int64_t v = 0;
    while (is_digit(peek())) {
      v = v * 10 + (s_[i_] - '0');
      if (v > kMaxInt) fail_at("integer out of range", start);
      ++i_;
    }
    return neg ? -v : v;
  }

  // index-selector = int; slice-selector = [start S] ":" S [end S] [":" [S step]]
  void index_or_slice(Selector& s) {
    std::optional<int64_t> start;
    if (peek() != ':') start = integer();
    size_t save = i_;
    blank();
    if (peek() != ':') {
      i_ = save;
      s.kind = SelectorKind::Index;
      s.index = *start;
      return;
    }
    ++i_;
    s.kind = SelectorKind::Slice;
    s.start = start;
    blank();
    if (peek() == '-' || is_digit(peek())) {
      s.end = integer();
      blank();
    }
    if (peek() == ':') {
      ++i_;
      blank();
      if (peek() == '-' || is_digit(peek())) s.step = integer();
    }
  }

  // Quoted string with JSON-like escapes (RFC 9535 section 2.3.1.1).
  std::string string_literal() {
    char quote = s_[i_++];
    std::string out;
    while (true) {
      if (at_end()) fail("unterminated string");
      char c = s_[i_];
      if (c == quote) {
        ++i_;
        return out;
      }
      if (static_cast<unsigned char>(c) < 0x20) fail("control character in a string");
      if (c != '\\') {
        size_t at = i_;
        char32_t cp = utf8::decode(s_, i_);
        if (cp == utf8::kInvalid) fail_at("invalid UTF-8", at);
        utf8::append(out, cp);
        continue;
      }
      ++i_;
      char e = peek();
      ++i_;
      switch (e) {
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case 'n': out += '\n'; break;
        case 'r': out += '\r'; break;
        case 't': out += '\t'; break;
        case '/': out += '/'; break;
        case '\\': out += '\\'; break;
        case 'u': utf8::append(out, unicode_escape()); break;
        default:
          if (e == quote) {
            out += e;
            break;
          }
          i_ -= 2;
          fail("invalid escape in a string");
      }
    }
  }

  uint32_t hex4() {
    uint32_t v = 0;
    for (int k = 0; k < 4; ++k) {
      char c = peek();
      int d = is_digit(c) ? c - '0' : (c >= 'a' && c <= 'f') ? c - 'a' + 10 : (c >= 'A' && c <= 'F') ? c - 'A' + 10 : -1;
      if (d < 0) fail("expected 4 hex digits after \\u");
      v = v * 16 + static_cast<uint32_t>(d);
      ++i_;
    }
    return v;
  }

  char32_t unicode_escape() {
    uint32_t hi = hex4();
    if (hi >= 0xDC00 && hi <= 0xDFFF) fail("unpaired low surrogate");
    if (hi < 0xD800 || hi > 0xDBFF) return hi;
    if (!consume("\\u")) fail("unpaired high surrogate");
    uint32_t lo = hex4();
    if (lo < 0xDC00 || lo > 0xDFFF) fail("invalid low surrogate");
    return 0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00);
  }

  // ---- filter expressions ----

  using Expr = std::unique_ptr<FilterExpr>;

  static Expr make(FilterExpr::Kind k) {
    auto e = std::make_unique<FilterExpr>();
    e->kind = k;
    return e;
  }

  Expr logical_or(int depth) {
    if (depth > kMaxDepth) fail("expression nested too deeply");
    Expr first = logical_and(depth);
    Expr out;
    while (true) {
      size_t save = i_;
      blank();
      if (!consume("||")) {
        i_ = save;
        break;
      }
      blank();
      if (!out) {
        out = make(FilterExpr::Kind::Or);
        out->children.push_back(std::move(first));
      }
      out->children.push_back(logical_and(depth));
    }
    return out ? std::move(out) : std::move(first);
  }

  Expr logical_and(int depth) {
    Expr first = basic(depth);
    Expr out;
    while (true) {
      size_t save = i_;
      blank();
      if (!consume("&&")) {
        i_ = save;
        break;
      }
      blank();
      if (!out) {
        out = make(FilterExpr::Kind::And);
        out->children.push_back(std::move(first));
      }
      out->children.push_back(basic(depth));
    }
    return out ? std::move(out) : std::move(first);
  }

  // paren-expr / comparison-expr / test-expr
  Expr basic(int depth) {
    if (depth > kMaxDepth) fail("expression nested too deeply");
    if (peek() == '!' && peek(1) != '=') {
      ++i_;
      blank();
      Expr inner;
      if (peek() == '(') {
        inner = paren(depth);
      } else {
        size_t at = i_;
        inner = primary(depth);
        require_test(*inner, at);
      }
      Expr e = make(FilterExpr::Kind::Not);
      e->children.push_back(std::move(inner));
      return e;
    }
    if (peek() == '(') return paren(depth);
    size_t at = i_;
    Expr left = primary(depth);
    size_t save = i_;
    blank();
    std::optional<CompareOp> op = comparison_op();
    if (!op) {
      i_ = save;
      require_test(*left, at);
      return left;
    }
    require_comparable(*left, at);
    blank();
    size_t rat = i_;
    Expr right = primary(depth);
    require_comparable(*right, rat);
    Expr e = make(FilterExpr::Kind::Compare);
    e->op = *op;
    e->children.push_back(std::move(left));
    e->children.push_back(std::move(right));
    return e;
  }

  Expr paren(int depth) {
    expect('(');
    blank();
    Expr e = logical_or(depth + 1);
    blank();
    expect(')');
    return e;
  }

  std::optional<CompareOp> comparison_op() {
    if (consume("==")) return CompareOp::Eq;
    if (consume("!=")) return CompareOp::Ne;
    if (consume("<=")) return CompareOp::Le;
    if (consume(">=")) return CompareOp::Ge;
    if (consume("<")) return CompareOp::Lt;
    if (consume(">")) return CompareOp::Gt;
    return std::nullopt;
  }

  // A query used alone is an existence test; a function must return LogicalType or NodesType.
  void require_test(FilterExpr& e, size_t at) {
    if (e.kind == FilterExpr::Kind::Singular || e.kind == FilterExpr::Kind::Nodes) {
      e.kind = FilterExpr::Kind::Exists;
      return;
    }
    if (e.kind == FilterExpr::Kind::Call && result_type(e.function) != ExprType::Value) return;
    if (e.kind == FilterExpr::Kind::Call) fail_at("the result of this function cannot be tested; compare it", at);
    fail_at("a literal must be compared with something", at);
  }

  void require_comparable(FilterExpr& e, size_t at) {
    if (e.kind == FilterExpr::Kind::Literal) return;
    if (e.kind == FilterExpr::Kind::Singular) return;
    if (e.kind == FilterExpr::Kind::Nodes) fail_at("only singular queries (names and indices) can be compared", at);
    if (e.kind == FilterExpr::Kind::Call && result_type(e.function) == ExprType::Value) return;
    fail_at("the result of this function cannot be compared", at);
  }

  // literal / query / function call
  Expr primary(int depth) {
    char c = peek();
    if (c == '@' || c == '$') return query_expr(depth);
    if (c == '\'' || c == '"') {
      Expr e = make(FilterExpr::Kind::Literal);
      e->text = string_literal();
      e->literal.SetString(rapidjson::StringRef(e->text.data(), e->text.size()));
      return e;
    }
    if (c == '-' || is_digit(c)) return number_literal();
    if (c >= 'a' && c <= 'z') {
      size_t start = i_;
      while ((peek() >= 'a' && peek() <= 'z') || is_digit(peek()) || peek() == '_') ++i_;
      std::string_view name = s_.substr(start, i_ - start);
      if (peek() == '(') return call(name, start, depth);
      Expr e = make(FilterExpr::Kind::Literal);
      if (name == "true") {
        e->literal.SetBool(true);
      } else if (name == "false") {
        e->literal.SetBool(false);
      } else if (name == "null") {
        e->literal.SetNull();
      } else {
        fail_at("unknown name '" + std::string(name) + "'", start);
      }
      return e;
    }
    fail("expected a query, a literal or a function");
  }

  Expr query_expr(int depth) {
    auto q = std::make_unique<Query>();
    q->relative = s_[i_] == '@';
    ++i_;
    // Newtonsoft: `@name` is `@.name`.
    if (q->relative && name_first()) {
      Segment seg;
      seg.selectors.push_back(name_selector(shorthand_name()));
      q->segments.push_back(std::move(seg));
    }
    segments(*q, depth);
    Expr e = make(q->singular() ? FilterExpr::Kind::Singular : FilterExpr::Kind::Nodes);
    e->query = std::move(q);
    return e;
  }

  // number = (int / "-0") [ frac ] [ exp ]
  Expr number_literal() {
    size_t start = i_;
    consume("-");
    if (!is_digit(peek())) fail("expected a digit");
    if (peek() == '0') {
      ++i_;
      if (is_digit(peek())) fail_at("leading zeros are not allowed", start);
    } else {
      while (is_digit(peek())) ++i_;
    }
    bool integral = true;
    if (peek() == '.') {
      ++i_;
      if (!is_digit(peek())) fail("expected a digit after '.'");
      while (is_digit(peek())) ++i_;
      integral = false;
    }
    if (peek() == 'e' || peek() == 'E') {
      ++i_;
      if (peek() == '+' || peek() == '-') ++i_;
      if (!is_digit(peek())) fail("expected a digit in the exponent");
      while (is_digit(peek())) ++i_;
      integral = false;
    }
    std::string text(s_.substr(start, i_ - start));
    Expr e = make(FilterExpr::Kind::Literal);
    errno = 0;
    if (integral) {
      long long v = std::strtoll(text.c_str(), nullptr, 10);
      if (errno == 0) {
        e->literal.SetInt64(v);
        return e;
      }
    }
    e->literal.SetDouble(std::strtod(text.c_str(), nullptr));
    return e;
  }

  Expr call(std::string_view name, size_t at, int depth) {
    Expr e = make(FilterExpr::Kind::Call);
    std::vector<ExprType> params;
    if (name == "length") {
      e->function = Function::Length, params = {ExprType::Value};
    } else if (name == "count") {
      e->function = Function::Count, params = {ExprType::Nodes};
    } else if (name == "match") {
      e->function = Function::Match, params = {ExprType::Value, ExprType::Value};
    } else if (name == "search") {
      e->function = Function::Search, params = {ExprType::Value, ExprType::Value};
    } else if (name == "value") {
      e->function = Function::Value, params = {ExprType::Nodes};
    } else {
      fail_at("unknown function '" + std::string(name) + "'", at);
    }
    expect('(');
    blank();
    if (depth + 1 > kMaxDepth) fail("expression nested too deeply");
    if (peek() != ')') {
      while (true) {
        size_t arg_at = i_;
        Expr arg = primary(depth + 1);
        size_t k = e->children.size();
        if (k < params.size()) check_argument(*arg, params[k], arg_at);
        e->children.push_back(std::move(arg));
        blank();
        if (peek() == ',') {
          ++i_;
          blank();
          continue;
        }
        break;
      }
    }
    expect(')');
    if (e->children.size() != params.size())
      fail_at(std::string(name) + "() takes " + std::to_string(params.size()) + " argument(s), got " +
                  std::to_string(e->children.size()),
              at);
    // A literal pattern is compiled once, here.
    if ((e->function == Function::Match || e->function == Function::Search) &&
        e->children[1]->kind == FilterExpr::Kind::Literal && e->children[1]->literal.IsString()) {
      e->regex = IRegexp::compile(e->children[1]->text);
      e->bad_regex = !e->regex;
    }
    return e;
  }

  // RFC 9535 section 2.4.3: well-typedness of function arguments.
  void check_argument(FilterExpr& arg, ExprType param, size_t at) {
    if (param == ExprType::Value) {
      if (arg.kind == FilterExpr::Kind::Literal || arg.kind == FilterExpr::Kind::Singular) return;
      if (arg.kind == FilterExpr::Kind::Call && result_type(arg.function) == ExprType::Value) return;
      fail_at("this argument must be a single value (a literal, a singular query or a value function)", at);
    }
    // NodesType
    if (arg.kind == FilterExpr::Kind::Singular || arg.kind == FilterExpr::Kind::Nodes) {
      arg.kind = FilterExpr::Kind::Nodes;
      return;
    }
    fail_at("this argument must be a query", at);
  }

  std::string_view s_;
  size_t i_ = 0;
};

}  // namespace

std::unique_ptr<Query> parse(std::string_view text, ExpressionError* error) {
  try {
    return Parser(text).run();
  } catch (const Failure& f) {
    if (error != nullptr) {
      error->column = utf8::column(text, f.at);
      error->message = f.message + " at column " + std::to_string(error->column);
    }
    return nullptr;
  }
}

}  // namespace healthd::medtech::jsonpath
