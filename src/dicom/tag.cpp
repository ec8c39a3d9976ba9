#include "dicom/tag.h"

#include <cstdio>

namespace healthd::dicom {

std::string tag_hex(Tag t) {
  // By hand: the DICOM JSON of every stored instance calls this per element.
  static constexpr char kDigits[] = "0123456789ABCDEF";
  std::string out(8, '0');
  for (int i = 7; i >= 0; --i, t >>= 4) out[static_cast<size_t>(i)] = kDigits[t & 0xF];
  return out;
}

std::string tag_paren(Tag t) {
  char buf[12];
  std::snprintf(buf, sizeof buf, "(%04X,%04X)", tag_group(t), tag_element(t));
  return buf;
}

std::optional<Tag> parse_tag_hex(std::string_view text) {
  if (text.size() != 8) return std::nullopt;
  Tag t = 0;
  for (char c : text) {
    int d;
    if (c >= '0' && c <= '9') d = c - '0';
    else if (c >= 'A' && c <= 'F') d = c - 'A' + 10;
    else if (c >= 'a' && c <= 'f') d = c - 'a' + 10;
    else return std::nullopt;
    t = (t << 4) | static_cast<Tag>(d);
  }
  return t;
}

}  // namespace healthd::dicom
