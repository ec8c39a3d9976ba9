// JMESPath lexer: identifiers, JSON literals (`...`), raw strings ('...'), numbers and operators.
#include "medtech/jmespath_lexer.h"

#include <cerrno>
#include <cstdlib>

#include "common/utf8.h"

namespace healthd::medtech::jmespath::detail {

const char* token_name(Tok t) {
  switch (t) {
    case Tok::Eof: return "end of expression";
    case Tok::UnquotedIdentifier: return "identifier";
    case Tok::QuotedIdentifier: return "quoted identifier";
    case Tok::Literal: return "literal";
    case Tok::Number: return "number";
    case Tok::Dot: return "'.'";
    case Tok::Star: return "'*'";
    case Tok::Flatten: return "'[]'";
    case Tok::Filter: return "'[?'";
    case Tok::LBracket: return "'['";
    case Tok::RBracket: return "']'";
    case Tok::LBrace: return "'{'";
    case Tok::RBrace: return "'}'";
    case Tok::LParen: return "'('";
    case Tok::RParen: return "')'";
    case Tok::Comma: return "','";
    case Tok::Colon: return "':'";
    case Tok::Pipe: return "'|'";
    case Tok::Or: return "'||'";
    case Tok::And: return "'&&'";
    case Tok::Expref: return "'&'";
    case Tok::Not: return "'!'";
    case Tok::Eq: return "'=='";
    case Tok::Ne: return "'!='";
    case Tok::Lt: return "'<'";
    case Tok::Le: return "'<='";
    case Tok::Gt: return "'>'";
    case Tok::Ge: return "'>='";
    case Tok::Current: return "'@'";
  }
  return "token";
}

namespace {

bool ident_start(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool ident_char(char c) { return ident_start(c) || (c >= '0' && c <= '9'); }
bool digit(char c) { return c >= '0' && c <= '9'; }

class Lexer {
 public:
  Lexer(std::string_view s, Program& p, std::vector<Token>& out) : s_(s), p_(p), out_(out) {}

  bool run(Error* error) {
    while (true) {
      while (i_ < s_.size() && (s_[i_] == ' ' || s_[i_] == '\t' || s_[i_] == '\n' || s_[i_] == '\r')) ++i_;
      if (i_ >= s_.size()) {
        push(Tok::Eof, i_);
        return true;
      }
      if (!next()) {
        if (error != nullptr) {
          error->kind = ErrorKind::Syntax;
          error->column = utf8::column(s_, error_at_);
          error->message = message_ + " at column " + std::to_string(error->column);
        }
        return false;
      }
    }
  }

 private:
  Token& push(Tok t, size_t at) {
    Token& tok = out_.emplace_back();
    tok.type = t;
    tok.offset = static_cast<uint32_t>(at);
    return tok;
  }
  bool fail(std::string m, size_t at) {
    message_ = std::move(m);
    error_at_ = at;
    return false;
  }
  char peek(size_t ahead = 0) const { return i_ + ahead < s_.size() ? s_[i_ + ahead] : '\0'; }

  // Index just past the closing `end` character, honouring backslash escapes; npos if unterminated.
  size_t scan_until(size_t from, char end) const {
    for (size_t k = from; k < s_.size(); ++k) {
      if (s_[k] == '\\') {
        ++k;
        continue;
      }
      if (s_[k] == end) return k + 1;
    }
    return std::string_view::npos;
  }

  const json::Value* store(json::Value v) {
    p_.literals.push_back(json::Value());
    p_.literals.back().Swap(v);
    return &p_.literals.back();
  }

  bool next() {
    size_t at = i_;
    char c = s_[i_];
    if (ident_start(c)) {
      while (i_ < s_.size() && ident_char(s_[i_])) ++i_;
      push(Tok::UnquotedIdentifier, at).text = std::string(s_.substr(at, i_ - at));
      return true;
    }
    if (digit(c) || c == '-') {
      ++i_;
      if (c == '-' && !digit(peek())) return fail("'-' must be followed by digits", at);
      while (digit(peek())) ++i_;
      std::string digits(s_.substr(at, i_ - at));
      errno = 0;
      long long v = std::strtoll(digits.c_str(), nullptr, 10);
      if (errno != 0) return fail("number out of range", at);
      push(Tok::Number, at).number = v;
      return true;
    }
    ++i_;
    switch (c) {
      case '.': push(Tok::Dot, at); return true;
      case '*': push(Tok::Star, at); return true;
      case ']': push(Tok::RBracket, at); return true;
      case '{': push(Tok::LBrace, at); return true;
      case '}': push(Tok::RBrace, at); return true;
      case '(': push(Tok::LParen, at); return true;
      case ')': push(Tok::RParen, at); return true;
      case ',': push(Tok::Comma, at); return true;
      case ':': push(Tok::Colon, at); return true;
      case '@': push(Tok::Current, at); return true;
      case '[':
        if (peek() == ']') {
          ++i_;
          push(Tok::Flatten, at);
        } else if (peek() == '?') {
          ++i_;
          push(Tok::Filter, at);
        } else {
          push(Tok::LBracket, at);
        }
        return true;
      case '|': push(two('|') ? Tok::Or : Tok::Pipe, at); return true;
      case '&': push(two('&') ? Tok::And : Tok::Expref, at); return true;
      case '!': push(two('=') ? Tok::Ne : Tok::Not, at); return true;
      case '<': push(two('=') ? Tok::Le : Tok::Lt, at); return true;
      case '>': push(two('=') ? Tok::Ge : Tok::Gt, at); return true;
      case '=':
        if (!two('=')) return fail("'=' is not an operator (use '==')", at);
        push(Tok::Eq, at);
        return true;
      case '"': return quoted_identifier(at);
      case '\'': return raw_string(at);
      case '`': return json_literal(at);
      default:
        return fail("unexpected character '" + std::string(1, c) + "'", at);
    }
  }

  bool two(char c) {
    if (peek() != c) return false;
    ++i_;
    return true;
  }

  // "..." with JSON string escapes.
  bool quoted_identifier(size_t at) {
    size_t end = scan_until(at + 1, '"');
    if (end == std::string_view::npos) return fail("unterminated quoted identifier", at);
    json::Document d;
    d.Parse<rapidjson::kParseValidateEncodingFlag>(s_.data() + at, end - at);
    if (d.HasParseError() || !d.IsString()) return fail("invalid quoted identifier", at);
    i_ = end;
    push(Tok::QuotedIdentifier, at).text = std::string(d.GetString(), d.GetStringLength());
    return true;
  }

  // '...': only \' is an escape; other backslashes are kept.
  bool raw_string(size_t at) {
    size_t end = scan_until(at + 1, '\'');
    if (end == std::string_view::npos) return fail("unterminated raw string", at);
    std::string text;
    for (size_t k = at + 1; k + 1 < end; ++k) {
      if (s_[k] == '\\' && k + 1 < end - 1 && s_[k + 1] == '\'') {
        text += '\'';
        ++k;
      } else {
        text += s_[k];
      }
    }
    i_ = end;
    push(Tok::Literal, at).literal = store(json::Value(text.data(), static_cast<rapidjson::SizeType>(text.size()), p_.literal_pool));
    return true;
  }

  // `json`: \` is a backtick.
  bool json_literal(size_t at) {
    size_t end = scan_until(at + 1, '`');
    if (end == std::string_view::npos) return fail("unterminated literal", at);
    std::string text;
    for (size_t k = at + 1; k + 1 < end; ++k) {
      if (s_[k] == '\\' && k + 1 < end - 1 && s_[k + 1] == '`') {
        text += '`';
        ++k;
      } else {
        text += s_[k];
      }
    }
    json::Document d(&p_.literal_pool);
    d.Parse<rapidjson::kParseValidateEncodingFlag>(text.data(), text.size());
    if (d.HasParseError()) return fail("invalid JSON in literal", at);
    json::Value v;
    v.Swap(d);
    i_ = end;
    push(Tok::Literal, at).literal = store(std::move(v));
    return true;
  }

  std::string_view s_;
  Program& p_;
  std::vector<Token>& out_;
  size_t i_ = 0;
  std::string message_;
  size_t error_at_ = 0;
};

}  // namespace

bool tokenize(std::string_view text, Program& program, std::vector<Token>& out, Error* error) {
  return Lexer(text, program, out).run(error);
}

}  // namespace healthd::medtech::jmespath::detail
