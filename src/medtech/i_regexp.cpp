#include "medtech/i_regexp.h"

#include <locale.h>
#include <wctype.h>

#include <algorithm>
#include <cctype>
#include <cstring>

#include "common/utf8.h"

namespace healthd::medtech {

namespace {

constexpr size_t kMaxProgram = 20000;  // instructions; bounds {n,m} expansion
constexpr int kMaxNesting = 100;       // parentheses
constexpr uint32_t kMaxRepeat = 1000;

// Unicode general categories of \p{..}; one id each, the one-letter groups first.
constexpr const char* kCategories[] = {
    "L",  "Lu", "Ll", "Lt", "Lm", "Lo", "M",  "Mn", "Mc", "Me", "N",  "Nd", "Nl", "No", "P",  "Pc", "Pd", "Ps",
    "Pe", "Pi", "Pf", "Po", "Z",  "Zs", "Zl", "Zp", "S",  "Sm", "Sc", "Sk", "So", "C",  "Cc", "Cf", "Co", "Cn"};

locale_t utf8_locale() {
  static locale_t loc = [] {
    locale_t l = newlocale(LC_CTYPE_MASK, "C.UTF-8", static_cast<locale_t>(nullptr));
    return l != static_cast<locale_t>(nullptr) ? l : newlocale(LC_CTYPE_MASK, "C", static_cast<locale_t>(nullptr));
  }();
  return loc;
}

bool between(char32_t c, char32_t lo, char32_t hi) { return c >= lo && c <= hi; }

bool is_separator(char32_t c) {
  return c == 0x20 || c == 0xA0 || c == 0x1680 || between(c, 0x2000, 0x200A) || c == 0x2028 || c == 0x2029 ||
         c == 0x202F || c == 0x205F || c == 0x3000;
}
bool is_mark(char32_t c) {
  return between(c, 0x300, 0x36F) || between(c, 0x483, 0x489) || between(c, 0x591, 0x5BD) ||
         between(c, 0x610, 0x61A) || between(c, 0x64B, 0x65F) || between(c, 0x900, 0x903) ||
         between(c, 0x93A, 0x94F) || between(c, 0x1AB0, 0x1AFF) || between(c, 0x1DC0, 0x1DFF) ||
         between(c, 0x20D0, 0x20FF) || between(c, 0xFE20, 0xFE2F);
}
bool is_digit(char32_t c) {
  return between(c, '0', '9') || between(c, 0x660, 0x669) || between(c, 0x6F0, 0x6F9) || between(c, 0x966, 0x96F) ||
         between(c, 0xFF10, 0xFF19);
}
bool is_symbol(char32_t c) {
  if (c < 0x80) return std::strchr("$+<=>^`|~", static_cast<int>(c)) != nullptr && c != 0;
  return between(c, 0x20A0, 0x20CF) || between(c, 0x2100, 0x214F) || between(c, 0x2190, 0x23FF) ||
         between(c, 0x25A0, 0x27BF) || between(c, 0x2900, 0x2BFF) || c == 0xA2 || c == 0xA3 || c == 0xA5 ||
         c == 0xA9 || c == 0xAE || c == 0xB0 || c == 0xB1 || c == 0xD7 || c == 0xF7 || between(c, 0x1F300, 0x1FAFF);
}
bool is_control(char32_t c) { return c < 0x20 || between(c, 0x7F, 0x9F); }
bool is_format(char32_t c) {
  return c == 0xAD || between(c, 0x600, 0x605) || between(c, 0x200B, 0x200F) || between(c, 0x202A, 0x202E) ||
         between(c, 0x2060, 0x2064) || c == 0xFEFF;
}
bool is_private(char32_t c) { return between(c, 0xE000, 0xF8FF) || c >= 0xF0000; }

// Approximates membership of c in category id (see kCategories) with the C library's tables.
bool in_category(uint8_t id, char32_t c) {
  locale_t l = utf8_locale();
  auto w = static_cast<wint_t>(c);
  const char* name = kCategories[id];
  switch (name[0]) {
    case 'L': {
      bool alpha = iswalpha_l(w, l) && !is_digit(c) && !is_mark(c);
      if (name[1] == 0) return alpha;
      if (name[1] == 'u') return iswupper_l(w, l);
      if (name[1] == 'l') return iswlower_l(w, l);
      return alpha && !iswupper_l(w, l) && !iswlower_l(w, l);  // Lt, Lm, Lo
    }
    case 'M':
      return is_mark(c);
    case 'N':
      return is_digit(c);
    case 'P':
      return (iswpunct_l(w, l) || (c < 0x80 && std::ispunct(static_cast<int>(c)))) && !is_symbol(c);
    case 'Z':
      if (name[1] == 'l') return c == 0x2028;
      if (name[1] == 'p') return c == 0x2029;
      if (name[1] == 's') return is_separator(c) && c != 0x2028 && c != 0x2029;
      return is_separator(c);
    case 'S':
      return is_symbol(c);
    case 'C':
      if (name[1] == 'c') return is_control(c);
      if (name[1] == 'f') return is_format(c);
      if (name[1] == 'o') return is_private(c);
      if (name[1] == 'n') return !iswprint_l(w, l) && !is_control(c) && !is_format(c) && !is_private(c);
      return is_control(c) || is_format(c) || is_private(c) || !iswprint_l(w, l);
  }
  return false;
}

// Parse tree of a pattern.
struct Node {
  enum Kind : uint8_t { Empty, Class, Any, Begin, End, Concat, Alt, Repeat } kind = Empty;
  uint32_t cls = 0;                // Class: index into classes
  uint32_t min = 0, max = 0;       // Repeat; max == UINT32_MAX: unbounded
  std::vector<Node> children;
};

class Parser {
 public:
  Parser(std::string_view p, std::vector<IRegexp::Class>& classes) : p_(p), classes_(classes) {}

  bool parse(Node& out, std::string* error) {
    bool ok = alternation(out, 0) && i_ == p_.size();
    if (!ok && error != nullptr) *error = error_.empty() ? "unexpected character at offset " + std::to_string(i_) : error_;
    return ok;
  }

 private:
  bool fail(const std::string& m) {
    if (error_.empty()) error_ = m;
    return false;
  }
  bool at_end() const { return i_ >= p_.size(); }
  char peek() const { return at_end() ? '\0' : p_[i_]; }

  bool alternation(Node& out, int depth) {
    if (depth > kMaxNesting) return fail("regular expression nested too deeply");
    Node first;
    if (!branch(first, depth)) return false;
    if (peek() != '|') {
      out = std::move(first);
      return true;
    }
    out.kind = Node::Alt;
    out.children.push_back(std::move(first));
    while (peek() == '|') {
      ++i_;
      Node next;
      if (!branch(next, depth)) return false;
      out.children.push_back(std::move(next));
    }
    return true;
  }

  bool branch(Node& out, int depth) {
    out.kind = Node::Concat;
    while (!at_end() && peek() != '|' && peek() != ')') {
      Node piece;
      if (!atom(piece, depth)) return false;
      if (!quantifier(piece)) return false;
      out.children.push_back(std::move(piece));
    }
    return true;
  }

  bool quantifier(Node& atom) {
    char c = peek();
    uint32_t min = 0, max = 0;
    if (c == '*') {
      min = 0, max = UINT32_MAX;
    } else if (c == '+') {
      min = 1, max = UINT32_MAX;
    } else if (c == '?') {
      min = 0, max = 1;
    } else if (c == '{') {
      ++i_;
      if (!number(min)) return fail("expected a number in {}");
      max = min;
      if (peek() == ',') {
        ++i_;
        max = UINT32_MAX;
        if (peek() != '}' && !number(max)) return fail("expected a number in {}");
      }
      if (peek() != '}') return fail("expected '}'");
      if (max < min) return fail("bad range in {}");
      if (min > kMaxRepeat || (max != UINT32_MAX && max > kMaxRepeat)) return fail("repetition too large");
    } else {
      return true;
    }
    ++i_;
    if (atom.kind == Node::Begin || atom.kind == Node::End) return fail("quantifier after an anchor");
    Node rep;
    rep.kind = Node::Repeat;
    rep.min = min;
    rep.max = max;
    rep.children.push_back(std::move(atom));
    atom = std::move(rep);
    return true;
  }

  bool number(uint32_t& out) {
    size_t start = i_;
    uint64_t v = 0;
    while (!at_end() && peek() >= '0' && peek() <= '9') {
      v = v * 10 + static_cast<uint64_t>(peek() - '0');
      if (v > 100000) return false;
      ++i_;
    }
    out = static_cast<uint32_t>(v);
    return i_ > start;
  }

  uint32_t add_class(IRegexp::Class c) {
    classes_.push_back(std::move(c));
    return static_cast<uint32_t>(classes_.size() - 1);
  }

  bool atom(Node& out, int depth) {
    char c = peek();
    switch (c) {
      case '(': {
        ++i_;
        if (!alternation(out, depth + 1)) return false;
        if (peek() != ')') return fail("missing ')'");
        ++i_;
        return true;
      }
      case '.':
        ++i_;
        out.kind = Node::Any;
        return true;
      case '^':
        ++i_;
        out.kind = Node::Begin;
        return true;
      case '$':
        ++i_;
        out.kind = Node::End;
        return true;
      case '[':
        return char_class(out);
      case '\\': {
        IRegexp::Class cls;
        if (!escape(cls)) return false;
        out.kind = Node::Class;
        out.cls = add_class(std::move(cls));
        return true;
      }
      case '*': case '+': case '?': case '{': case '}': case ']': case ')': case '|':
        return fail(std::string("unexpected '") + c + "'");
      default: {
        char32_t cp = next_char();
        if (cp == utf8::kInvalid) return fail("invalid UTF-8 in pattern");
        IRegexp::Class cls;
        cls.ranges.push_back({cp, cp});
        out.kind = Node::Class;
        out.cls = add_class(std::move(cls));
        return true;
      }
    }
  }

  char32_t next_char() { return utf8::decode(p_, i_); }

  // After '\': a single-character escape or \p{..} / \P{..}. Adds to cls.
  bool escape(IRegexp::Class& cls) {
    ++i_;
    if (at_end()) return fail("pattern ends with '\\'");
    char c = p_[i_++];
    switch (c) {
      case 'n': cls.ranges.push_back({'\n', '\n'}); return true;
      case 'r': cls.ranges.push_back({'\r', '\r'}); return true;
      case 't': cls.ranges.push_back({'\t', '\t'}); return true;
      case 'p': case 'P': {
        if (peek() != '{') return fail("expected '{' after \\p");
        size_t close = p_.find('}', i_);
        if (close == std::string_view::npos) return fail("missing '}' after \\p{");
        std::string_view name = p_.substr(i_ + 1, close - i_ - 1);
        i_ = close + 1;
        for (uint8_t id = 0; id < std::size(kCategories); ++id) {
          if (name == kCategories[id]) {
            cls.categories.emplace_back(id, c == 'P');
            return true;
          }
        }
        return fail("unknown category \\p{" + std::string(name) + "}");
      }
      default:
        if (std::strchr("()*+-.?[\\]^{|}", c) != nullptr) {
          cls.ranges.push_back({static_cast<char32_t>(c), static_cast<char32_t>(c)});
          return true;
        }
        return fail(std::string("invalid escape \\") + c);
    }
  }

  // One class character (CCchar or single-char escape) into cp; a \p{..} escape goes into cls instead.
  bool class_char(char32_t& cp, IRegexp::Class& cls, bool& was_category) {
    was_category = false;
    if (peek() == '\\') {
      IRegexp::Class tmp;
      if (!escape(tmp)) return false;
      if (!tmp.categories.empty()) {
        cls.categories.push_back(tmp.categories[0]);
        was_category = true;
        return true;
      }
      cp = tmp.ranges[0].lo;
      return true;
    }
    char c = peek();
    if (c == '[' || c == ']') return fail(std::string("unescaped '") + c + "' in a class");
    cp = next_char();
    if (cp == utf8::kInvalid) return fail("invalid UTF-8 in pattern");
    return true;
  }

  bool char_class(Node& out) {
    ++i_;  // [
    IRegexp::Class cls;
    if (peek() == '^') {
      cls.negated = true;
      ++i_;
    }
    bool first = true;
    while (true) {
      if (at_end()) return fail("missing ']'");
      char c = peek();
      if (c == ']' && !first) break;
      if (c == '-') {
        // '-' is literal only first or last in the class.
        if (first || (i_ + 1 < p_.size() && p_[i_ + 1] == ']')) {
          ++i_;
          cls.ranges.push_back({'-', '-'});
          first = false;
          continue;
        }
        return fail("'-' must be escaped inside a class");
      }
      char32_t lo = 0;
      bool category = false;
      if (!class_char(lo, cls, category)) return false;
      first = false;
      if (category) continue;
      char32_t hi = lo;
      if (peek() == '-' && i_ + 1 < p_.size() && p_[i_ + 1] != ']') {
        ++i_;
        bool cat2 = false;
        if (!class_char(hi, cls, cat2) || cat2) return fail("bad class range");
        if (hi < lo) return fail("bad class range");
      }
      cls.ranges.push_back({lo, hi});
    }
    ++i_;  // ]
    out.kind = Node::Class;
    out.cls = add_class(std::move(cls));
    return true;
  }

  std::string_view p_;
  size_t i_ = 0;
  std::vector<IRegexp::Class>& classes_;
  std::string error_;
};

class Compiler {
 public:
  explicit Compiler(std::vector<IRegexp::Inst>& prog) : prog_(prog) {}

  bool emit(const Node& n) {
    if (prog_.size() > kMaxProgram) return false;
    using Op = IRegexp::Op;
    switch (n.kind) {
      case Node::Empty:
        return true;
      case Node::Class:
        prog_.push_back({Op::Class, n.cls, 0});
        return true;
      case Node::Any:
        prog_.push_back({Op::Any});
        return true;
      case Node::Begin:
        prog_.push_back({Op::Begin});
        return true;
      case Node::End:
        prog_.push_back({Op::End});
        return true;
      case Node::Concat:
        for (const Node& c : n.children)
          if (!emit(c)) return false;
        return true;
      case Node::Alt: {
        // split L1, next; L1: a; jmp end; next: split L2, next2; ...
        std::vector<size_t> jumps;
        for (size_t k = 0; k < n.children.size(); ++k) {
          bool last = k + 1 == n.children.size();
          size_t split = 0;
          if (!last) {
            split = prog_.size();
            prog_.push_back({Op::Split, static_cast<uint32_t>(split + 1), 0});
          }
          if (!emit(n.children[k])) return false;
          if (!last) {
            jumps.push_back(prog_.size());
            prog_.push_back({Op::Jump});
            prog_[split].y = static_cast<uint32_t>(prog_.size());
          }
        }
        for (size_t j : jumps) prog_[j].x = static_cast<uint32_t>(prog_.size());
        return true;
      }
      case Node::Repeat: {
        const Node& body = n.children[0];
        for (uint32_t k = 0; k < n.min; ++k)
          if (!emit(body)) return false;
        if (n.max == UINT32_MAX) {
          size_t loop = prog_.size();
          prog_.push_back({Op::Split, static_cast<uint32_t>(loop + 1), 0});
          if (!emit(body)) return false;
          prog_.push_back({Op::Jump, static_cast<uint32_t>(loop), 0});
          prog_[loop].y = static_cast<uint32_t>(prog_.size());
          return true;
        }
        std::vector<size_t> splits;
        for (uint32_t k = n.min; k < n.max; ++k) {
          splits.push_back(prog_.size());
          prog_.push_back({Op::Split, static_cast<uint32_t>(prog_.size() + 1), 0});
          if (!emit(body)) return false;
        }
        for (size_t s : splits) prog_[s].y = static_cast<uint32_t>(prog_.size());
        return true;
      }
    }
    return false;
  }

 private:
  std::vector<IRegexp::Inst>& prog_;
};

}  // namespace

bool IRegexp::Class::contains(char32_t c) const {
  bool hit = false;
  for (const Range& r : ranges) {
    if (c >= r.lo && c <= r.hi) {
      hit = true;
      break;
    }
  }
  if (!hit) {
    for (auto [id, neg] : categories) {
      if (in_category(id, c) != neg) {
        hit = true;
        break;
      }
    }
  }
  return hit != negated;
}

std::optional<IRegexp> IRegexp::compile(std::string_view pattern, std::string* error) {
  IRegexp re;
  Node root;
  Parser parser(pattern, re.classes_);
  if (!parser.parse(root, error)) return std::nullopt;
  Compiler compiler(re.prog_);
  if (!compiler.emit(root) || re.prog_.size() > kMaxProgram) {
    if (error != nullptr) *error = "regular expression too large";
    return std::nullopt;
  }
  re.prog_.push_back({Op::Match});
  return re;
}

bool IRegexp::full_match(std::string_view text) const { return run(text, true); }
bool IRegexp::search(std::string_view text) const { return run(text, false); }

// Pike VM: the set of live program counters advances one code point at a time.
bool IRegexp::run(std::string_view text, bool anchored) const {
  const size_t n = prog_.size();
  std::vector<uint32_t> cur, next, stack;
  std::vector<size_t> mark(n, SIZE_MAX);  // generation at which a pc was added to the list being built
  cur.reserve(n);
  next.reserve(n);
  size_t gen = 0;
  bool matched = false;

  // Adds the epsilon closure of pc to list (at position pos; at_end: no more input).
  auto add = [&](std::vector<uint32_t>& list, uint32_t start, bool at_begin, bool at_end) {
    stack.push_back(start);
    while (!stack.empty()) {
      uint32_t pc = stack.back();
      stack.pop_back();
      if (mark[pc] == gen) continue;
      mark[pc] = gen;
      const Inst& in = prog_[pc];
      switch (in.op) {
        case Op::Jump:
          stack.push_back(in.x);
          break;
        case Op::Split:
          stack.push_back(in.y);
          stack.push_back(in.x);
          break;
        case Op::Begin:
          if (at_begin) stack.push_back(pc + 1);
          break;
        case Op::End:
          if (at_end) stack.push_back(pc + 1);
          break;
        case Op::Match:
          if (!anchored || at_end) matched = true;
          list.push_back(pc);
          break;
        default:
          list.push_back(pc);
      }
    }
  };

  size_t i = 0;
  add(cur, 0, true, text.empty());
  while (i < text.size()) {
    if (matched) return true;
    char32_t c = utf8::decode(text, i);
    bool at_end = i >= text.size();
    ++gen;
    next.clear();
    for (uint32_t pc : cur) {
      const Inst& in = prog_[pc];
      bool step = (in.op == Op::Any && c != '\n' && c != '\r') || (in.op == Op::Class && classes_[in.x].contains(c));
      if (step) add(next, pc + 1, false, at_end);
    }
    if (!anchored) add(next, 0, false, at_end);
    std::swap(cur, next);
    if (cur.empty() && anchored) return false;
  }
  return matched;
}

}  // namespace healthd::medtech
