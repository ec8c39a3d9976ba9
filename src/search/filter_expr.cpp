#include "search/filter_expr.h"

#include <array>
#include <cctype>
#include <utility>

namespace healthd::search {

namespace {

constexpr std::array<std::pair<std::string_view, FilterOp>, 19> kOps = {{
    {"eq", FilterOp::Eq}, {"ne", FilterOp::Ne}, {"co", FilterOp::Co}, {"sw", FilterOp::Sw}, {"ew", FilterOp::Ew},
    {"gt", FilterOp::Gt}, {"lt", FilterOp::Lt}, {"ge", FilterOp::Ge}, {"le", FilterOp::Le}, {"ap", FilterOp::Ap},
    {"sa", FilterOp::Sa}, {"eb", FilterOp::Eb}, {"pr", FilterOp::Pr}, {"po", FilterOp::Po}, {"ss", FilterOp::Ss},
    {"sb", FilterOp::Sb}, {"in", FilterOp::In}, {"ni", FilterOp::Ni}, {"re", FilterOp::Re},
}};

bool space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }
bool name_start(char c) { return c == '_' || std::isalpha(static_cast<unsigned char>(c)); }
bool name_char(char c) { return name_start(c) || c == '-' || std::isdigit(static_cast<unsigned char>(c)); }

bool iequal(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i)
    if (std::tolower(static_cast<unsigned char>(a[i])) != std::tolower(static_cast<unsigned char>(b[i]))) return false;
  return true;
}

class FilterParser {
 public:
  explicit FilterParser(std::string_view text) : s_(text) {}

  std::optional<FilterExpr> parse(std::string& why) {
    auto e = disjunction(0);
    skip_space();
    if (e && pos_ != s_.size()) fail("unexpected '" + std::string(s_.substr(pos_, 10)) + "'");
    if (!why_.empty()) {
      why = why_ + " (at character " + std::to_string(pos_ + 1) + ")";
      return std::nullopt;
    }
    return e;
  }

 private:
  void fail(std::string why) {
    if (why_.empty()) why_ = std::move(why);
  }
  void skip_space() {
    while (pos_ < s_.size() && space(s_[pos_])) ++pos_;
  }
  // The keyword at pos_ (after spaces), followed by a space or '(' ; consumed when found.
  bool keyword(std::string_view word) {
    size_t p = pos_;
    while (p < s_.size() && space(s_[p])) ++p;
    if (p + word.size() > s_.size() || !iequal(s_.substr(p, word.size()), word)) return false;
    size_t after = p + word.size();
    if (after < s_.size() && !space(s_[after]) && s_[after] != '(') return false;
    pos_ = after;
    return true;
  }

  std::optional<FilterExpr> combine(FilterExpr::Kind kind, int depth,
                                    std::optional<FilterExpr> (FilterParser::*next)(int), std::string_view word) {
    auto first = (this->*next)(depth);
    if (!first) return std::nullopt;
    if (!keyword(word)) return first;
    FilterExpr e;
    e.kind = kind;
    e.children.push_back(std::move(*first));
    do {
      auto more = (this->*next)(depth);
      if (!more) return std::nullopt;
      e.children.push_back(std::move(*more));
    } while (keyword(word));
    return e;
  }
  std::optional<FilterExpr> disjunction(int depth) {
    if (depth > kMaxFilterDepth) {
      fail("the filter nests deeper than " + std::to_string(kMaxFilterDepth) + " levels");
      return std::nullopt;
    }
    return combine(FilterExpr::Kind::Or, depth, &FilterParser::conjunction, "or");
  }
  std::optional<FilterExpr> conjunction(int depth) {
    return combine(FilterExpr::Kind::And, depth, &FilterParser::unary, "and");
  }

  std::optional<FilterExpr> unary(int depth) {
    skip_space();
    if (pos_ < s_.size() && s_[pos_] == '(') {
      ++pos_;
      auto inner = disjunction(depth + 1);
      if (!inner || !expect(')')) return std::nullopt;
      return inner;
    }
    const size_t before = pos_;
    if (keyword("not")) {
      skip_space();
      if (pos_ < s_.size() && s_[pos_] == '(') {
        ++pos_;
        auto inner = disjunction(depth + 1);
        if (!inner || !expect(')')) return std::nullopt;
        FilterExpr e;
        e.kind = FilterExpr::Kind::Not;
        e.children.push_back(std::move(*inner));
        return e;
      }
      pos_ = before;  // a parameter called "not"
    }
    return comparison(depth);
  }

  bool expect(char c) {
    skip_space();
    if (pos_ < s_.size() && s_[pos_] == c) {
      ++pos_;
      return true;
    }
    fail(std::string("expected '") + c + "'");
    return false;
  }

  bool path(std::vector<FilterPathStep>& out, int depth) {
    if (pos_ >= s_.size() || !name_start(s_[pos_])) {
      fail("expected a search parameter name");
      return false;
    }
    FilterPathStep step;
    const size_t start = pos_;
    while (pos_ < s_.size() && name_char(s_[pos_])) ++pos_;
    step.name = std::string(s_.substr(start, pos_ - start));
    if (pos_ < s_.size() && s_[pos_] == '[') {
      ++pos_;
      auto inner = disjunction(depth + 1);
      if (!inner || !expect(']')) return false;
      step.filter = std::make_shared<const FilterExpr>(std::move(*inner));
    }
    out.push_back(std::move(step));
    if (pos_ < s_.size() && s_[pos_] == '.') {
      ++pos_;
      return path(out, depth + 1);
    }
    return true;
  }

  std::optional<FilterExpr> comparison(int depth) {
    FilterExpr e;
    if (!path(e.path, depth)) return std::nullopt;
    if (pos_ >= s_.size() || !space(s_[pos_])) {
      fail("expected a space and an operator after '" + e.path.back().name + "'");
      return std::nullopt;
    }
    skip_space();
    const size_t start = pos_;
    while (pos_ < s_.size() && std::isalpha(static_cast<unsigned char>(s_[pos_]))) ++pos_;
    const std::string_view word = s_.substr(start, pos_ - start);
    bool known = false;
    for (const auto& [name, op] : kOps)
      if (iequal(word, name)) {
        e.op = op;
        known = true;
      }
    if (!known) {
      pos_ = start;
      fail("'" + std::string(word) + "' is not a filter operator (eq ne co sw ew gt lt ge le ap sa eb pr po ss sb in ni re)");
      return std::nullopt;
    }
    if (pos_ >= s_.size() || !space(s_[pos_])) {
      fail("expected a space and a value after '" + std::string(word) + "'");
      return std::nullopt;
    }
    skip_space();
    if (!value(e.value)) return std::nullopt;
    return e;
  }

  bool value(std::string& out) {
    if (pos_ < s_.size() && s_[pos_] == '"') return quoted(out);
    const size_t start = pos_;
    while (pos_ < s_.size() && !space(s_[pos_]) && s_[pos_] != ']' && s_[pos_] != ')') ++pos_;
    if (pos_ == start) {
      fail("expected a value");
      return false;
    }
    out = std::string(s_.substr(start, pos_ - start));
    return true;
  }

  // A JSON string: \" \\ \/ \b \f \n \r \t escapes (\u is kept for the ASCII range only).
  bool quoted(std::string& out) {
    ++pos_;
    while (pos_ < s_.size() && s_[pos_] != '"') {
      char c = s_[pos_++];
      if (c != '\\') {
        out += c;
        continue;
      }
      if (pos_ >= s_.size()) break;
      switch (char e = s_[pos_++]) {
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case 'n': out += '\n'; break;
        case 'r': out += '\r'; break;
        case 't': out += '\t'; break;
        case 'u': {
          unsigned v = 0;
          size_t n = 0;
          for (; n < 4 && pos_ < s_.size() && std::isxdigit(static_cast<unsigned char>(s_[pos_])); ++n, ++pos_)
            v = v * 16 + static_cast<unsigned>(std::isdigit(static_cast<unsigned char>(s_[pos_]))
                                                    ? s_[pos_] - '0'
                                                    : std::tolower(static_cast<unsigned char>(s_[pos_])) - 'a' + 10);
          if (n != 4 || v > 0x7f) {
            fail("only \\u escapes of ASCII characters are supported in a filter string");
            return false;
          }
          out += static_cast<char>(v);
          break;
        }
        default: out += e; break;  // \" \\ \/
      }
    }
    if (pos_ >= s_.size()) {
      fail("a string is not closed with '\"'");
      return false;
    }
    ++pos_;
    return true;
  }

  std::string_view s_;
  size_t pos_ = 0;
  std::string why_;
};

}  // namespace

std::string_view filter_op_name(FilterOp op) {
  for (const auto& [name, o] : kOps)
    if (o == op) return name;
  return "?";
}

std::optional<FilterExpr> parse_filter(std::string_view text, std::string& why) {
  return FilterParser(text).parse(why);
}

}  // namespace healthd::search
