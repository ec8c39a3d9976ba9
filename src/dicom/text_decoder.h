// Internal to src/dicom: text values to UTF-8 under a Specific Character Set (0008,0005).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace healthd::dicom::detail {

class TextDecoder {
 public:
  // charset: the value of (0008,0005) as stored ("ISO_IR 100", "\\ISO 2022 IR 87", ...).
  // Empty means the default repertoire; bytes above 0x7F are then read as Latin-1, as pydicom
  // does, rather than refused. An unknown character set is read as Latin-1 too.
  explicit TextDecoder(std::string_view charset = {});

  // bytes -> valid UTF-8, never fails. delimiters end code extensions (PS3.5 6.1.2.5.3): "\\^="
  // for PN, "\\" for multi-valued text; CR, LF, FF and TAB always do.
  std::string decode(std::string_view bytes, const char* delimiters) const;
  // The same, appended to out (plain ASCII is copied with no allocation of its own).
  void append_decoded(std::string& out, std::string_view bytes, const char* delimiters) const;

 private:
  std::string decode_non_ascii(std::string_view bytes, const char* delimiters) const;

  enum class Mode { kLatin1, kUtf8, kIconv, kCodeExtensions };
  Mode mode_ = Mode::kLatin1;
  std::string iconv_name_;            // kIconv
  std::vector<std::string> terms_;    // kCodeExtensions: the defined terms, first one initial
};

// bytes in the iconv encoding `from` -> UTF-8; nullopt when iconv cannot convert them.
std::optional<std::string> iconv_to_utf8(std::string_view bytes, const char* from);
// Latin-1 bytes to UTF-8.
std::string latin1_to_utf8(std::string_view bytes);
void append_latin1_utf8(std::string& out, std::string_view bytes);
// Replaces invalid UTF-8 sequences with U+FFFD.
std::string sanitize_utf8(std::string_view bytes);

// Text under ISO 2022 code extensions (PS3.3 C.12.1.1.2): terms are the values of (0008,0005),
// the first one in force at the start and after every delimiter; escape sequences switch G0/G1.
// nullopt on an escape sequence or byte it cannot place.
std::optional<std::string> decode_code_extensions(std::string_view bytes,
                                                  const std::vector<std::string>& terms,
                                                  const char* delimiters);

}  // namespace healthd::dicom::detail
