// Lexer and precedence-climbing parser for FHIRPath (N1 grammar).
#include <cmath>
#include <cstring>
#include <stdexcept>
#include <string>

#include "common/utf8.h"
#include "fhirpath/ast.h"
#include "fhirpath/internal.h"

namespace healthd::fhirpath {
namespace {

enum class Tok : uint8_t { End, Ident, QuotedIdent, String, Integer, Decimal, Temporal, Constant, Special, Punct };

struct Token {
  Tok kind = Tok::End;
  std::string text;  // identifier/string content, punct text, number text
  uint32_t pos = 0;
  Kind tkind = Kind::Date;  // for Temporal
};

struct ParseError : std::runtime_error {
  uint32_t pos;
  ParseError(std::string m, uint32_t p) : std::runtime_error(std::move(m)), pos(p) {}
};

bool is_ident_start(char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '_'; }
bool is_ident_char(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }

class Lexer {
 public:
  explicit Lexer(std::string_view s) : s_(s) {}

  std::vector<Token> run() {
    std::vector<Token> out;
    for (;;) {
      skip_space();
      Token t;
      t.pos = static_cast<uint32_t>(i_);
      if (i_ >= s_.size()) {
        out.push_back(t);
        return out;
      }
      char c = s_[i_];
      if (is_ident_start(c)) {
        size_t b = i_;
        while (i_ < s_.size() && is_ident_char(s_[i_])) ++i_;
        t.kind = Tok::Ident;
        t.text = std::string(s_.substr(b, i_ - b));
      } else if (c == '`') {
        t.kind = Tok::QuotedIdent;
        t.text = quoted('`');
      } else if (c == '\'') {
        t.kind = Tok::String;
        t.text = quoted('\'');
      } else if (is_digit(c)) {
        size_t b = i_;
        while (i_ < s_.size() && is_digit(s_[i_])) ++i_;
        t.kind = Tok::Integer;
        if (i_ + 1 < s_.size() && s_[i_] == '.' && is_digit(s_[i_ + 1])) {
          ++i_;
          while (i_ < s_.size() && is_digit(s_[i_])) ++i_;
          t.kind = Tok::Decimal;
        }
        t.text = std::string(s_.substr(b, i_ - b));
        if (t.kind == Tok::Integer && i_ < s_.size() && s_[i_] == 'L') ++i_;  // long literal
      } else if (c == '@') {
        ++i_;
        temporal(t);
      } else if (c == '%') {
        ++i_;
        t.kind = Tok::Constant;
        if (i_ < s_.size() && s_[i_] == '`') {
          t.text = quoted('`');
        } else if (i_ < s_.size() && s_[i_] == '\'') {
          t.text = quoted('\'');
        } else {
          size_t b = i_;
          while (i_ < s_.size() && (is_ident_char(s_[i_]) || s_[i_] == '-')) ++i_;
          t.text = std::string(s_.substr(b, i_ - b));
          if (t.text.empty()) throw ParseError("expected a constant name after '%'", t.pos);
        }
      } else if (c == '$') {
        size_t b = ++i_;
        while (i_ < s_.size() && is_ident_char(s_[i_])) ++i_;
        t.kind = Tok::Special;
        t.text = std::string(s_.substr(b, i_ - b));
        if (t.text != "this" && t.text != "index" && t.text != "total")
          throw ParseError("unknown special variable '$" + t.text + "'", t.pos);
      } else {
        t.kind = Tok::Punct;
        static const char* two[] = {"<=", ">=", "!=", "!~"};
        bool done = false;
        for (const char* p : two) {
          if (s_.substr(i_, 2) == p) {
            t.text = p;
            i_ += 2;
            done = true;
            break;
          }
        }
        if (!done) {
          if (std::strchr(".,()[]{}+-*/&|=~<>", c) == nullptr || c == '\0')
            throw ParseError(std::string("unexpected character '") + c + "'", t.pos);
          t.text = std::string(1, c);
          ++i_;
        }
      }
      out.push_back(std::move(t));
    }
  }

 private:
  void skip_space() {
    for (;;) {
      while (i_ < s_.size() && std::isspace(static_cast<unsigned char>(s_[i_]))) ++i_;
      if (s_.substr(i_, 2) == "//") {
        while (i_ < s_.size() && s_[i_] != '\n') ++i_;
      } else if (s_.substr(i_, 2) == "/*") {
        size_t e = s_.find("*/", i_ + 2);
        if (e == std::string_view::npos) throw ParseError("unterminated comment", static_cast<uint32_t>(i_));
        i_ = e + 2;
      } else {
        return;
      }
    }
  }

  std::string quoted(char q) {
    uint32_t start = static_cast<uint32_t>(i_);
    ++i_;
    std::string out;
    while (i_ < s_.size() && s_[i_] != q) {
      char c = s_[i_++];
      if (c != '\\') {
        out += c;
        continue;
      }
      if (i_ >= s_.size()) break;
      char e = s_[i_++];
      switch (e) {
        case 'n': out += '\n'; break;
        case 'r': out += '\r'; break;
        case 't': out += '\t'; break;
        case 'f': out += '\f'; break;
        case 'u': {
          if (i_ + 4 > s_.size()) throw ParseError("bad \\u escape", start);
          uint32_t cp = std::stoul(std::string(s_.substr(i_, 4)), nullptr, 16);
          i_ += 4;
          utf8::append(out, cp);
          break;
        }
        case '\'': case '"': case '`': case '\\': case '/': out += e; break;
        default: throw ParseError(std::string("invalid escape '\\") + e + "'", start);
      }
    }
    if (i_ >= s_.size()) throw ParseError("unterminated string or identifier", start);
    ++i_;
    return out;
  }

  size_t digits(size_t n) {
    size_t k = 0;
    while (k < n && i_ + k < s_.size() && is_digit(s_[i_ + k])) ++k;
    return k;
  }

  void temporal(Token& t) {
    size_t b = i_;
    bool has_date = false, has_t = false, has_time = false;
    if (digits(4) == 4) {
      has_date = true;
      i_ += 4;
      if (i_ + 2 < s_.size() && s_[i_] == '-' && is_digit(s_[i_ + 1])) {
        i_ += 3;
        if (i_ + 2 < s_.size() && s_[i_] == '-' && is_digit(s_[i_ + 1])) i_ += 3;
      }
    }
    if (i_ < s_.size() && s_[i_] == 'T') {
      has_t = true;
      ++i_;
      if (digits(2) == 2) {
        has_time = true;
        i_ += 2;
        if (i_ + 1 < s_.size() && s_[i_] == ':' && is_digit(s_[i_ + 1])) {
          i_ += 3;
          if (i_ + 1 < s_.size() && s_[i_] == ':' && is_digit(s_[i_ + 1])) {
            i_ += 3;
            if (i_ + 1 < s_.size() && s_[i_] == '.' && is_digit(s_[i_ + 1])) {
              ++i_;
              while (i_ < s_.size() && is_digit(s_[i_])) ++i_;
            }
          }
        }
      }
    }
    if (has_date && (has_time || has_t) && i_ < s_.size()) {
      if (s_[i_] == 'Z') {
        ++i_;
      } else if ((s_[i_] == '+' || s_[i_] == '-') && has_time && i_ + 5 < s_.size() + 0 &&
                 is_digit(s_[i_ + 1]) && is_digit(s_[i_ + 2]) && s_[i_ + 3] == ':') {
        i_ += 6;
      }
    }
    if (!has_date && !has_time) throw ParseError("invalid date/time literal", t.pos);
    if (!has_date && !has_t) throw ParseError("invalid time literal", t.pos);
    t.kind = Tok::Temporal;
    t.text = std::string(s_.substr(b, i_ - b));
    t.tkind = !has_date ? Kind::Time : (has_t ? Kind::DateTime : Kind::Date);
    if (i_ < s_.size() && is_ident_char(s_[i_])) throw ParseError("invalid date/time literal", t.pos);
  }

  std::string_view s_;
  size_t i_ = 0;
};

struct FnInfo {
  const char* name;
  Fn fn;
  int min, max;
};

const FnInfo kFunctions[] = {
    {"empty", Fn::Empty, 0, 0}, {"exists", Fn::Exists, 0, 1}, {"all", Fn::All, 1, 1},
    {"allTrue", Fn::AllTrue, 0, 0}, {"anyTrue", Fn::AnyTrue, 0, 0}, {"allFalse", Fn::AllFalse, 0, 0},
    {"anyFalse", Fn::AnyFalse, 0, 0}, {"subsetOf", Fn::SubsetOf, 1, 1}, {"supersetOf", Fn::SupersetOf, 1, 1},
    {"count", Fn::Count, 0, 0}, {"distinct", Fn::Distinct, 0, 0}, {"isDistinct", Fn::IsDistinct, 0, 0},
    {"where", Fn::Where, 1, 1}, {"select", Fn::Select, 1, 1}, {"repeat", Fn::Repeat, 1, 1},
    {"ofType", Fn::OfType, 1, 1}, {"single", Fn::Single, 0, 0}, {"first", Fn::First, 0, 0},
    {"last", Fn::Last, 0, 0}, {"tail", Fn::Tail, 0, 0}, {"skip", Fn::Skip, 1, 1}, {"take", Fn::Take, 1, 1},
    {"intersect", Fn::Intersect, 1, 1}, {"exclude", Fn::Exclude, 1, 1}, {"union", Fn::Union, 1, 1},
    {"combine", Fn::Combine, 1, 1}, {"iif", Fn::Iif, 2, 3}, {"toBoolean", Fn::ToBoolean, 0, 0},
    {"convertsToBoolean", Fn::ConvertsToBoolean, 0, 0}, {"toInteger", Fn::ToInteger, 0, 0},
    {"convertsToInteger", Fn::ConvertsToInteger, 0, 0}, {"toDecimal", Fn::ToDecimal, 0, 0},
    {"convertsToDecimal", Fn::ConvertsToDecimal, 0, 0}, {"toString", Fn::ToString, 0, 0},
    {"convertsToString", Fn::ConvertsToString, 0, 0}, {"toDate", Fn::ToDate, 0, 0},
    {"convertsToDate", Fn::ConvertsToDate, 0, 0}, {"toDateTime", Fn::ToDateTime, 0, 0},
    {"convertsToDateTime", Fn::ConvertsToDateTime, 0, 0}, {"toTime", Fn::ToTime, 0, 0},
    {"convertsToTime", Fn::ConvertsToTime, 0, 0}, {"toQuantity", Fn::ToQuantity, 0, 1},
    {"convertsToQuantity", Fn::ConvertsToQuantity, 0, 1}, {"indexOf", Fn::IndexOf, 1, 1},
    {"substring", Fn::Substring, 1, 2}, {"startsWith", Fn::StartsWith, 1, 1}, {"endsWith", Fn::EndsWith, 1, 1},
    {"contains", Fn::ContainsStr, 1, 1}, {"upper", Fn::Upper, 0, 0}, {"lower", Fn::Lower, 0, 0},
    {"replace", Fn::Replace, 2, 2}, {"matches", Fn::Matches, 1, 1}, {"matchesFull", Fn::Matches, 1, 1}, {"sort", Fn::Sort, 0, 8}, {"replaceMatches", Fn::ReplaceMatches, 2, 2},
    {"length", Fn::Length, 0, 0}, {"toChars", Fn::ToChars, 0, 0}, {"trim", Fn::Trim, 0, 0},
    {"split", Fn::Split, 1, 1}, {"join", Fn::Join, 0, 1}, {"encode", Fn::Encode, 1, 1},
    {"decode", Fn::Decode, 1, 1}, {"escape", Fn::Escape, 1, 1}, {"unescape", Fn::Unescape, 1, 1},
    {"abs", Fn::Abs, 0, 0}, {"ceiling", Fn::Ceiling, 0, 0}, {"exp", Fn::Exp, 0, 0}, {"floor", Fn::Floor, 0, 0},
    {"ln", Fn::Ln, 0, 0}, {"log", Fn::Log, 1, 1}, {"power", Fn::Power, 1, 1}, {"round", Fn::Round, 0, 1},
    {"sqrt", Fn::Sqrt, 0, 0}, {"truncate", Fn::Truncate, 0, 0}, {"children", Fn::Children, 0, 0},
    {"descendants", Fn::Descendants, 0, 0}, {"trace", Fn::Trace, 1, 2}, {"now", Fn::Now, 0, 0},
    {"today", Fn::Today, 0, 0}, {"timeOfDay", Fn::TimeOfDay, 0, 0}, {"aggregate", Fn::Aggregate, 1, 2},
    {"not", Fn::Not, 0, 0}, {"is", Fn::Is, 1, 1}, {"as", Fn::As, 1, 1}, {"type", Fn::Type, 0, 0},
    {"extension", Fn::Extension, 1, 1}, {"hasValue", Fn::HasValue, 0, 0}, {"getValue", Fn::GetValue, 0, 0},
    {"resolve", Fn::Resolve, 0, 0}, {"memberOf", Fn::MemberOf, 1, 1}, {"conformsTo", Fn::ConformsTo, 1, 1},
    {"htmlChecks", Fn::HtmlChecks, 0, 0}, {"htmlChecks2", Fn::HtmlChecks, 0, 0},
    {"elementDefinition", Fn::ElementDefinition, 0, 0}, {"slice", Fn::Slice, 2, 2},
    {"checkModifiers", Fn::CheckModifiers, 1, 1}, {"subsumes", Fn::Subsumes, 1, 1},
    {"subsumedBy", Fn::SubsumedBy, 1, 1}, {"lowBoundary", Fn::LowBoundary, 0, 1},
    {"highBoundary", Fn::HighBoundary, 0, 1}, {"precision", Fn::Precision, 0, 0},
    {"comparable", Fn::Comparable, 1, 1},
};

const char* kCalendarUnits[] = {"year", "years", "month", "months", "week", "weeks", "day", "days", "hour", "hours",
                                "minute", "minutes", "second", "seconds", "millisecond", "milliseconds"};

class Parser {
 public:
  explicit Parser(std::vector<Token> toks) : t_(std::move(toks)) {}

  std::unique_ptr<Node> parse_all() {
    auto n = expr(0);
    if (peek().kind != Tok::End) throw ParseError("unexpected '" + peek().text + "'", peek().pos);
    return n;
  }

 private:
  const Token& peek(size_t k = 0) const { return t_[std::min(p_ + k, t_.size() - 1)]; }
  const Token& next() { return t_[std::min(p_++, t_.size() - 1)]; }
  bool punct(const char* s) const { return peek().kind == Tok::Punct && peek().text == s; }
  bool keyword(const char* s) const { return peek().kind == Tok::Ident && peek().text == s; }
  void expect(const char* s) {
    if (!punct(s)) throw ParseError(std::string("expected '") + s + "'" + found(), peek().pos);
    ++p_;
  }
  std::string found() const {
    return peek().kind == Tok::End ? " but the expression ended" : " but found '" + peek().text + "'";
  }

  static std::unique_ptr<Node> make(Op op, uint32_t pos) {
    auto n = std::make_unique<Node>();
    n->op = op;
    n->pos = pos;
    return n;
  }

  // Binary operator at the current token: its Op and precedence (0 when none).
  int binary(Op& op) const {
    const Token& t = peek();
    if (t.kind == Tok::Punct) {
      const std::string& s = t.text;
      if (s == "*") { op = Op::Mul; return 10; }
      if (s == "/") { op = Op::Div; return 10; }
      if (s == "+") { op = Op::Add; return 9; }
      if (s == "-") { op = Op::Sub; return 9; }
      if (s == "&") { op = Op::Concat; return 9; }
      if (s == "|") { op = Op::Union; return 7; }
      if (s == "<") { op = Op::Lt; return 6; }
      if (s == ">") { op = Op::Gt; return 6; }
      if (s == "<=") { op = Op::Le; return 6; }
      if (s == ">=") { op = Op::Ge; return 6; }
      if (s == "=") { op = Op::Eq; return 5; }
      if (s == "~") { op = Op::Equiv; return 5; }
      if (s == "!=") { op = Op::Ne; return 5; }
      if (s == "!~") { op = Op::NotEquiv; return 5; }
      return 0;
    }
    if (t.kind != Tok::Ident) return 0;
    const std::string& s = t.text;
    if (s == "div") { op = Op::IntDiv; return 10; }
    if (s == "mod") { op = Op::Mod; return 10; }
    if (s == "is") { op = Op::Is; return 8; }
    if (s == "as") { op = Op::As; return 8; }
    if (s == "in") { op = Op::In; return 4; }
    if (s == "contains") { op = Op::Contains; return 4; }
    if (s == "and") { op = Op::And; return 3; }
    if (s == "or") { op = Op::Or; return 2; }
    if (s == "xor") { op = Op::Xor; return 2; }
    if (s == "implies") { op = Op::Implies; return 1; }
    return 0;
  }

  std::unique_ptr<Node> expr(int min_prec) {
    auto left = unary();
    for (;;) {
      Op op;
      int prec = binary(op);
      if (prec == 0 || prec < min_prec) return left;
      uint32_t pos = peek().pos;
      ++p_;
      auto n = make(op, pos);
      n->args.push_back(std::move(left));
      if (op == Op::Is || op == Op::As) {
        n->type = type_specifier();
      } else {
        n->args.push_back(expr(prec + 1));
      }
      left = std::move(n);
    }
  }

  TypeSpec type_specifier() {
    TypeSpec ts;
    ts.name = identifier();
    if (punct(".")) {
      ++p_;
      ts.ns = std::move(ts.name);
      ts.name = identifier();
    }
    return ts;
  }

  std::string identifier() {
    const Token& t = peek();
    if (t.kind != Tok::Ident && t.kind != Tok::QuotedIdent) throw ParseError("expected an identifier" + found(), t.pos);
    ++p_;
    return t.text;
  }

  std::unique_ptr<Node> unary() {
    if (punct("-") || punct("+")) {
      uint32_t pos = peek().pos;
      bool neg = peek().text == "-";
      ++p_;
      auto operand = unary();
      // fold negative numeric literals
      if (neg && operand->op == Op::Literal &&
          (operand->literal.kind == Kind::Integer || operand->literal.kind == Kind::Decimal ||
           operand->literal.kind == Kind::Quantity)) {
        operand->literal.integer = -operand->literal.integer;
        operand->literal.decimal = -operand->literal.decimal;
        return operand;
      }
      auto n = make(neg ? Op::Neg : Op::Pos, pos);
      n->args.push_back(std::move(operand));
      return n;
    }
    return postfix(term());
  }

  std::unique_ptr<Node> postfix(std::unique_ptr<Node> n) {
    for (;;) {
      if (punct(".")) {
        ++p_;
        uint32_t pos = peek().pos;
        std::string name = identifier();
        n = invocation(std::move(name), pos, std::move(n), false);
      } else if (punct("[")) {
        uint32_t pos = peek().pos;
        ++p_;
        auto idx = make(Op::Indexer, pos);
        idx->args.push_back(std::move(n));
        idx->args.push_back(expr(0));
        expect("]");
        n = std::move(idx);
      } else {
        return n;
      }
    }
  }

  // name(...) or name, applied to focus (null: the input / $this).
  std::unique_ptr<Node> invocation(std::string name, uint32_t pos, std::unique_ptr<Node> focus, bool at_root) {
    if (!punct("(")) {
      auto m = make(Op::Member, pos);
      m->name = std::move(name);
      m->root_type_check = at_root;
      if (focus) m->args.push_back(std::move(focus));
      return m;
    }
    ++p_;
    auto f = make(Op::Function, pos);
    const FnInfo* info = nullptr;
    for (const auto& fi : kFunctions) {
      if (name == fi.name) {
        info = &fi;
        break;
      }
    }
    if (info == nullptr) throw ParseError("unknown function '" + name + "'", pos);
    f->fn = info->fn;
    f->name = std::move(name);
    f->args.push_back(std::move(focus));  // may be null
    if (!punct(")")) {
      for (;;) {
        f->args.push_back(expr(0));
        if (punct(",")) {
          ++p_;
          continue;
        }
        break;
      }
    }
    expect(")");
    int nargs = static_cast<int>(f->args.size()) - 1;
    if (nargs < info->min || nargs > info->max)
      throw ParseError("wrong number of arguments for " + f->name + "()", pos);
    if (f->fn == Fn::Is || f->fn == Fn::As || f->fn == Fn::OfType) {
      const Node* a = f->args[1].get();
      if (a->op != Op::Member) throw ParseError("expected a type name in " + f->name + "()", a->pos);
      f->type.name = a->name;
      if (!a->args.empty()) {
        const Node* q = a->args[0].get();
        if (q->op != Op::Member || !q->args.empty()) throw ParseError("invalid type name", a->pos);
        f->type.ns = q->name;
      }
      f->args.pop_back();
    }
    return f;
  }

  std::unique_ptr<Node> term() {
    const Token& t = peek();
    uint32_t pos = t.pos;
    switch (t.kind) {
      case Tok::End:
        throw ParseError("unexpected end of expression", pos);
      case Tok::Punct: {
        if (t.text == "(") {
          ++p_;
          auto n = expr(0);
          expect(")");
          return n;
        }
        if (t.text == "{") {
          ++p_;
          expect("}");
          return make(Op::Empty, pos);
        }
        throw ParseError("unexpected '" + t.text + "'", pos);
      }
      case Tok::String: {
        ++p_;
        auto n = make(Op::Literal, pos);
        n->literal = Value::of_string(t.text);
        return n;
      }
      case Tok::Integer:
      case Tok::Decimal: {
        ++p_;
        auto n = make(Op::Literal, pos);
        if (t.kind == Tok::Integer) {
          try {
            n->literal = Value::of_int(std::stoll(t.text));
          } catch (...) {
            throw ParseError("integer literal out of range", pos);
          }
        } else {
          size_t dot = t.text.find('.');
          n->literal = Value::of_decimal(std::stod(t.text), static_cast<int>(t.text.size() - dot - 1));
        }
        // quantity?
        if (peek().kind == Tok::String || (peek().kind == Tok::Ident && is_calendar(peek().text))) {
          const Token& u = next();
          Value q;
          q.kind = Kind::Quantity;
          q.decimal = n->literal.kind == Kind::Integer ? static_cast<double>(n->literal.integer) : n->literal.decimal;
          q.scale = n->literal.kind == Kind::Integer ? 0 : n->literal.scale;
          q.unit = u.text;
          if (u.kind == Tok::Ident) q.text = "calendar";
          n->literal = std::move(q);
        }
        return n;
      }
      case Tok::Temporal: {
        ++p_;
        auto n = make(Op::Literal, pos);
        Value v;
        v.kind = t.tkind;
        std::string_view body = t.text;
        if (t.tkind == Kind::Time) body.remove_prefix(1);  // 'T'
        if (!parse_temporal(body, t.tkind, v.temporal)) throw ParseError("invalid date/time literal '@" + t.text + "'", pos);
        n->literal = std::move(v);
        return n;
      }
      case Tok::Constant: {
        ++p_;
        auto n = make(Op::Constant, pos);
        n->name = t.text;
        return n;
      }
      case Tok::Special: {
        ++p_;
        return make(t.text == "this" ? Op::This : t.text == "index" ? Op::Index : Op::Total, pos);
      }
      case Tok::Ident:
      case Tok::QuotedIdent: {
        if (t.kind == Tok::Ident && (t.text == "true" || t.text == "false")) {
          ++p_;
          auto n = make(Op::Literal, pos);
          n->literal = Value::of_bool(t.text == "true");
          return n;
        }
        std::string name = t.text;
        ++p_;
        return invocation(std::move(name), pos, nullptr, true);
      }
      default:
        break;
    }
    throw ParseError("unexpected token", pos);
  }

  static bool is_calendar(const std::string& s) {
    for (const char* c : kCalendarUnits)
      if (s == c) return true;
    return false;
  }

  std::vector<Token> t_;
  size_t p_ = 0;
};

std::string where(std::string_view text, uint32_t pos) {
  size_t line = 1, col = 1;
  for (size_t i = 0; i < pos && i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++line;
      col = 1;
    } else {
      ++col;
    }
  }
  return " at line " + std::to_string(line) + ", column " + std::to_string(col);
}

}  // namespace

std::optional<Expression> Expression::parse(std::string_view text, std::string* error) {
  try {
    Lexer lx(text);
    Parser p(lx.run());
    Expression e;
    e.text_ = std::string(text);
    e.root_ = p.parse_all();
    return e;
  } catch (const ParseError& ex) {
    if (error) *error = std::string(ex.what()) + where(text, ex.pos);
  } catch (const std::exception& ex) {
    if (error) *error = ex.what();
  }
  return std::nullopt;
}

}  // namespace healthd::fhirpath
