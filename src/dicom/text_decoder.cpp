#include "dicom/text_decoder.h"

#include <iconv.h>

#include <algorithm>
#include <cerrno>

#include "common/utf8.h"

namespace healthd::dicom::detail {

namespace {

std::string_view trim_spaces(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\0')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\0')) s.remove_suffix(1);
  return s;
}

bool is_plain_ascii(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) {
    auto u = static_cast<unsigned char>(c);
    return u < 0x80 && u != 0x1B;  // ESC starts a code extension
  });
}

// Single character sets without code extensions (PS3.3 C.12.1.1.2), by iconv name.
const char* iconv_name(std::string_view term) {
  static constexpr std::pair<std::string_view, const char*> kSets[] = {
      {"ISO_IR 101", "ISO-8859-2"}, {"ISO_IR 109", "ISO-8859-3"}, {"ISO_IR 110", "ISO-8859-4"},
      {"ISO_IR 144", "ISO-8859-5"}, {"ISO_IR 127", "ISO-8859-6"}, {"ISO_IR 126", "ISO-8859-7"},
      {"ISO_IR 138", "ISO-8859-8"}, {"ISO_IR 148", "ISO-8859-9"}, {"ISO_IR 203", "ISO-8859-15"},
      {"ISO_IR 166", "TIS-620"},    {"GB18030", "GB18030"},      {"GBK", "GBK"},
  };
  for (auto& [name, iconv] : kSets)
    if (name == term) return iconv;
  return nullptr;
}

}  // namespace

void append_latin1_utf8(std::string& out, std::string_view bytes) {
  if (is_plain_ascii(bytes)) {
    out.append(bytes);
    return;
  }
  for (char c : bytes) utf8::append(out, static_cast<unsigned char>(c));
}

std::string latin1_to_utf8(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size());
  append_latin1_utf8(out, bytes);
  return out;
}

std::string sanitize_utf8(std::string_view bytes) {
  std::string out;
  out.reserve(bytes.size());
  for (size_t i = 0; i < bytes.size();) {
    const size_t start = i;
    if (utf8::decode(bytes, i) == utf8::kInvalid) utf8::append(out, 0xFFFD);  // decode skipped one byte
    else out.append(bytes.substr(start, i - start));
  }
  return out;
}

std::optional<std::string> iconv_to_utf8(std::string_view bytes, const char* from) {
  iconv_t cd = ::iconv_open("UTF-8", from);
  if (cd == reinterpret_cast<iconv_t>(-1)) return std::nullopt;
  std::string out(bytes.size() * 4 + 16, '\0');
  char* in = const_cast<char*>(bytes.data());
  size_t in_left = bytes.size();
  char* dst = out.data();
  size_t out_left = out.size();
  size_t r = ::iconv(cd, &in, &in_left, &dst, &out_left);
  if (r != static_cast<size_t>(-1)) r = ::iconv(cd, nullptr, nullptr, &dst, &out_left);
  ::iconv_close(cd);
  if (r == static_cast<size_t>(-1) || in_left != 0) return std::nullopt;
  out.resize(out.size() - out_left);
  return out;
}

TextDecoder::TextDecoder(std::string_view charset) {
  charset = trim_spaces(charset);
  // the values of a multi-valued Specific Character Set
  for (size_t start = 0;;) {
    size_t bs = charset.find('\\', start);
    terms_.emplace_back(trim_spaces(charset.substr(start, bs == std::string_view::npos ? bs : bs - start)));
    if (bs == std::string_view::npos) break;
    start = bs + 1;
  }
  const std::string& first = terms_.front();
  bool extensions = terms_.size() > 1 || first == "ISO_IR 13" ||
                    first.rfind("ISO 2022", 0) == 0;
  if (extensions) {
    mode_ = Mode::kCodeExtensions;  // ISO_IR 13 is JIS X 0201 in G0 and G1: same machinery
  } else if (first == "ISO_IR 192") {
    mode_ = Mode::kUtf8;
  } else if (const char* name = iconv_name(first)) {
    mode_ = Mode::kIconv;
    iconv_name_ = name;
  }  // else: default repertoire, ISO_IR 100 or unknown -> Latin-1
}

std::string TextDecoder::decode(std::string_view bytes, const char* delimiters) const {
  std::string out;
  append_decoded(out, bytes, delimiters);
  return out;
}

void TextDecoder::append_decoded(std::string& to, std::string_view bytes, const char* delimiters) const {
  if (is_plain_ascii(bytes)) {
    to.append(bytes);
    return;
  }
  to.append(decode_non_ascii(bytes, delimiters));
}

std::string TextDecoder::decode_non_ascii(std::string_view bytes, const char* delimiters) const {
  std::optional<std::string> out;
  switch (mode_) {
    case Mode::kUtf8: return sanitize_utf8(bytes);
    case Mode::kIconv: out = iconv_to_utf8(bytes, iconv_name_.c_str()); break;
    case Mode::kCodeExtensions: out = decode_code_extensions(bytes, terms_, delimiters); break;
    case Mode::kLatin1: break;
  }
  return out ? sanitize_utf8(*out) : latin1_to_utf8(bytes);
}

}  // namespace healthd::dicom::detail
