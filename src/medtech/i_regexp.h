// I-Regexp (RFC 9485), the regular expressions of the JSONPath match() and search() functions.
// Compiled once to a small NFA program and run with a Pike VM over code points: time is linear in
// the input, there is no recursion, so hostile strings or patterns cannot blow the stack.
// Beyond RFC 9485, `^` and `$` outside a class are anchors (as the JSONPath compliance suite expects).
// \p{..} categories are approximated with the C library's Unicode classification (C.UTF-8).
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace healthd::medtech {

class IRegexp {
 public:
  // nullopt when the pattern is not a valid I-Regexp (or too large); error gets the reason.
  static std::optional<IRegexp> compile(std::string_view pattern, std::string* error = nullptr);

  bool full_match(std::string_view text) const;  // match(): the whole string
  bool search(std::string_view text) const;      // search(): any substring

  struct Range {
    char32_t lo, hi;
  };
  struct Class {
    std::vector<Range> ranges;
    std::vector<std::pair<uint8_t, bool>> categories;  // (category id, negated)
    bool negated = false;
    bool contains(char32_t c) const;
  };
  enum class Op : uint8_t { Class, Any, Split, Jump, Begin, End, Match };
  struct Inst {
    Op op;
    uint32_t x = 0, y = 0;  // Split: both targets; Jump: x; Class: x = class index
  };

 private:
  bool run(std::string_view text, bool anchored) const;
  std::vector<Inst> prog_;
  std::vector<Class> classes_;
};

}  // namespace healthd::medtech
