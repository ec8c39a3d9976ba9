// normalize_string(): case and accent folding of string search values with ICU.
#include <unicode/uchar.h>
#include <unicode/unorm2.h>
#include <unicode/ustring.h>
#include <unicode/utf16.h>

#include <stdexcept>
#include <string>
#include <vector>

#include "search/index_values.h"

namespace healthd::search {

namespace {

const UNormalizer2* instance(const UNormalizer2* (*get)(UErrorCode*), const char* name) {
  UErrorCode err = U_ZERO_ERROR;
  const UNormalizer2* n = get(&err);
  if (U_FAILURE(err)) throw std::runtime_error(std::string("ICU: no ") + name + " normalizer: " + u_errorName(err));
  return n;
}

const UNormalizer2* casefold() {
  static const UNormalizer2* n = instance(unorm2_getNFKCCasefoldInstance, "NFKC_Casefold");
  return n;
}

const UNormalizer2* nfd() {
  static const UNormalizer2* n = instance(unorm2_getNFDInstance, "NFD");
  return n;
}

// Combining diacritical marks (the blocks of accents; marks that are part of other scripts'
// letters, such as Devanagari vowel signs, are kept).
bool diacritic(UChar32 c) {
  return (c >= 0x300 && c <= 0x36F) || (c >= 0x1AB0 && c <= 0x1AFF) || (c >= 0x1DC0 && c <= 0x1DFF) ||
         (c >= 0x20D0 && c <= 0x20FF) || (c >= 0xFE20 && c <= 0xFE2F);
}

// Lower-case Latin letters without a decomposition, folded to their base like accented ones.
const char16_t* base_letter(UChar32 c) {
  switch (c) {
    case 0x00F8: return u"o";   // ø
    case 0x00E6: return u"ae";  // æ
    case 0x0153: return u"oe";  // œ
    case 0x00F0: return u"d";   // ð
    case 0x0111: return u"d";   // đ
    case 0x0142: return u"l";   // ł
    case 0x00FE: return u"th";  // þ
    case 0x0127: return u"h";   // ħ
    case 0x0167: return u"t";   // ŧ
    case 0x0131: return u"i";   // dotless ı
    case 0x0138: return u"k";   // ĸ
    default: return nullptr;
  }
}

// src -> dst with one normalizer, growing dst as needed.
void normalize_into(const UNormalizer2* n, const std::u16string& src, std::u16string& dst) {
  dst.resize(src.size() * 2 + 16);
  for (;;) {
    UErrorCode err = U_ZERO_ERROR;
    int32_t len = unorm2_normalize(n, reinterpret_cast<const UChar*>(src.data()), static_cast<int32_t>(src.size()),
                                   reinterpret_cast<UChar*>(dst.data()), static_cast<int32_t>(dst.size()), &err);
    if (err == U_BUFFER_OVERFLOW_ERROR) {
      dst.resize(static_cast<size_t>(len));
      continue;
    }
    if (U_FAILURE(err)) throw std::runtime_error(std::string("ICU normalization failed: ") + u_errorName(err));
    dst.resize(static_cast<size_t>(len));
    return;
  }
}

std::string folded_unicode(std::string_view s) {
  thread_local std::u16string a, b;
  // UTF-8 -> UTF-16; malformed bytes become U+FFFD.
  a.resize(s.size() + 1);
  int32_t len = 0;
  UErrorCode err = U_ZERO_ERROR;
  u_strFromUTF8WithSub(reinterpret_cast<UChar*>(a.data()), static_cast<int32_t>(a.size()), &len, s.data(),
                       static_cast<int32_t>(s.size()), 0xFFFD, nullptr, &err);
  if (U_FAILURE(err)) throw std::runtime_error(std::string("ICU: cannot read UTF-8: ") + u_errorName(err));
  a.resize(static_cast<size_t>(len));
  normalize_into(casefold(), a, b);  // case folded, compatibility composed
  normalize_into(nfd(), b, a);       // accents become separate marks
  b.clear();
  for (int32_t i = 0; i < static_cast<int32_t>(a.size());) {
    UChar32 c;
    U16_NEXT(a.data(), i, static_cast<int32_t>(a.size()), c);
    if (diacritic(c)) continue;
    if (const char16_t* base = base_letter(c)) {
      b += base;
    } else if (U_IS_BMP(c)) {
      b.push_back(static_cast<char16_t>(c));
    } else {
      b.push_back(static_cast<char16_t>(U16_LEAD(c)));
      b.push_back(static_cast<char16_t>(U16_TRAIL(c)));
    }
  }
  std::string out(b.size() * 3, '\0');
  err = U_ZERO_ERROR;
  u_strToUTF8(out.data(), static_cast<int32_t>(out.size()), &len, reinterpret_cast<const UChar*>(b.data()),
              static_cast<int32_t>(b.size()), &err);
  if (U_FAILURE(err)) throw std::runtime_error(std::string("ICU: cannot write UTF-8: ") + u_errorName(err));
  out.resize(static_cast<size_t>(len));
  return out;
}

}  // namespace

std::string normalize_string(std::string_view s) {
  bool ascii = true;
  for (char c : s)
    if (static_cast<unsigned char>(c) >= 0x80) {
      ascii = false;
      break;
    }
  if (!ascii) return folded_unicode(s);
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c + 32);
  return out;
}

}  // namespace healthd::search
