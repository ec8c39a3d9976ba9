// ISO 2022 code extensions of DICOM text (PS3.3 C.12.1.1.2, PS3.5 6.1.2.5): escape sequences
// designate character sets into G0 (bytes below 0x80) and G1 (bytes from 0x80); the set of the
// first Specific Character Set value is back in force after every delimiter. Each multi-byte
// run is rewritten into the EUC form glibc's iconv knows (it lacks bare JIS X 0208/0212).
#include <cstring>

#include "common/utf8.h"
#include "dicom/text_decoder.h"

namespace healthd::dicom::detail {

namespace {

enum class Set { kNone, kAscii, kJisX0208, kJisX0212, kKatakana, kDoubleGR, kSingleGR };

struct Designation {
  const char* number;    // of the defined term "ISO 2022 IR <number>"
  std::string_view esc;  // after ESC
  int g;                 // 0 or 1
  Set set;
  const char* iconv;     // iconv encoding of the bytes handed to it
};

// JIS X 0201 Romaji ("(J") is read as ASCII, as most readers do.
constexpr Designation kDesignations[] = {
    {"6", "(B", 0, Set::kAscii, nullptr},         {"", "(J", 0, Set::kAscii, nullptr},
    {"13", ")I", 1, Set::kKatakana, nullptr},     {"87", "$B", 0, Set::kJisX0208, "EUC-JP"},
    {"", "$@", 0, Set::kJisX0208, "EUC-JP"},      {"159", "$(D", 0, Set::kJisX0212, "EUC-JP"},
    {"149", "$)C", 1, Set::kDoubleGR, "EUC-KR"},  {"58", "$)A", 1, Set::kDoubleGR, "GB2312"},
    {"100", "-A", 1, Set::kSingleGR, "ISO-8859-1"}, {"101", "-B", 1, Set::kSingleGR, "ISO-8859-2"},
    {"109", "-C", 1, Set::kSingleGR, "ISO-8859-3"}, {"110", "-D", 1, Set::kSingleGR, "ISO-8859-4"},
    {"144", "-L", 1, Set::kSingleGR, "ISO-8859-5"}, {"127", "-G", 1, Set::kSingleGR, "ISO-8859-6"},
    {"126", "-F", 1, Set::kSingleGR, "ISO-8859-7"}, {"138", "-H", 1, Set::kSingleGR, "ISO-8859-8"},
    {"148", "-M", 1, Set::kSingleGR, "ISO-8859-9"}, {"203", "-b", 1, Set::kSingleGR, "ISO-8859-15"},
    {"166", "-T", 1, Set::kSingleGR, "TIS-620"},
};

struct State {
  const Designation* g0 = &kDesignations[0];
  const Designation* g1 = nullptr;

  void apply(const Designation& d) { (d.g == 0 ? g0 : g1) = &d; }
};

// The state at the start of a value: ASCII, plus the G1 set of the first defined term.
State initial_state(const std::string& first_term) {
  State s;
  size_t space = first_term.rfind(' ');
  std::string number = space == std::string::npos ? "" : first_term.substr(space + 1);
  for (const Designation& d : kDesignations)
    if (!number.empty() && number == d.number && d.g == 1 && d.set != Set::kDoubleGR) s.apply(d);
  return s;
}

}  // namespace

std::optional<std::string> decode_code_extensions(std::string_view bytes,
                                                  const std::vector<std::string>& terms,
                                                  const char* delimiters) {
  const State start = initial_state(terms.empty() ? std::string() : terms.front());
  State state = start;
  std::string out, pending;
  const char* pending_iconv = nullptr;

  auto flush = [&]() {
    if (pending.empty()) return true;
    auto utf8 = iconv_to_utf8(pending, pending_iconv);
    if (!utf8) return false;
    out += *utf8;
    pending.clear();
    return true;
  };
  auto queue = [&](const char* iconv, std::string_view b) {
    if (pending_iconv != iconv && !flush()) return false;
    pending_iconv = iconv;
    pending += b;
    return true;
  };
  auto byte = [&](size_t k) { return static_cast<unsigned char>(bytes[k]); };

  for (size_t i = 0; i < bytes.size();) {
    const unsigned char c = byte(i);
    if (c == 0x1B) {
      const Designation* found = nullptr;
      for (const Designation& d : kDesignations)
        if (bytes.substr(i + 1, d.esc.size()) == d.esc) found = &d;
      if (!found) return std::nullopt;
      state.apply(*found);
      i += 1 + found->esc.size();
      continue;
    }
    const bool two_byte_g0 = state.g0->set == Set::kJisX0208 || state.g0->set == Set::kJisX0212;
    if (c < 0x80 && (!two_byte_g0 || c < 0x21)) {
      if (!flush()) return std::nullopt;
      out += static_cast<char>(c);
      if (std::strchr(delimiters, c) || c == '\r' || c == '\n' || c == '\t' || c == '\f') state = start;
      ++i;
    } else if (c < 0x80) {  // a JIS X 0208/0212 character: two GL bytes, EUC-JP is GR (+ 0x8F)
      if (i + 1 >= bytes.size()) return std::nullopt;
      std::string euc;
      if (state.g0->set == Set::kJisX0212) euc += '\x8F';
      euc += static_cast<char>(c | 0x80);
      euc += static_cast<char>(byte(i + 1) | 0x80);
      if (!queue(state.g0->iconv, euc)) return std::nullopt;
      i += 2;
    } else if (!state.g1) {
      return std::nullopt;
    } else if (state.g1->set == Set::kKatakana) {  // JIS X 0201 katakana: half-width forms
      if (c < 0xA1 || c > 0xDF || !flush()) return std::nullopt;
      utf8::append(out, 0xFF61 + (c - 0xA1));
      ++i;
    } else if (state.g1->set == Set::kDoubleGR) {
      if (i + 1 >= bytes.size() || !queue(state.g1->iconv, bytes.substr(i, 2))) return std::nullopt;
      i += 2;
    } else {
      if (!queue(state.g1->iconv, bytes.substr(i, 1))) return std::nullopt;
      ++i;
    }
  }
  if (!flush()) return std::nullopt;
  return out;
}

}  // namespace healthd::dicom::detail
