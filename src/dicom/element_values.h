// Internal to src/dicom: reading element values the way the rest of the library needs them.
// String values are split, trimmed and decoded like pydicom reads them (so the DICOM JSON
// matches it): see read_text_values().
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dicom/tag.h"
#include "dicom/text_decoder.h"

class DcmElement;
class DcmItem;

namespace healthd::dicom::detail {

enum class VrKind {
  kText,          // AE AS CS DA DT LO LT SH ST TM UC UI UR UT
  kPersonName,    // PN
  kNumberText,    // DS IS
  kBinaryNumber,  // FD FL SL SS SV UL US UV
  kTag,           // AT
  kBytes,         // OB OD OF OL OV OW UN
  kSequence,      // SQ
};

VrKind vr_kind(std::string_view vr);

// The element's VR as a standard two-letter name (DCMTK's internal VRs mapped: "up" -> UL,
// unknown -> UN, ...). Static storage: no copy per element.
std::string_view vr_name(DcmElement& e);
Tag element_tag(DcmElement& e);
// The value length as stored (the length field).
uint64_t value_length(DcmElement& e);

// The decoder for item: its own Specific Character Set if it has one, else inherited.
TextDecoder decoder_for(DcmItem& item, const TextDecoder& inherited);

// Values read into reused strings: reading many elements into one TextValues allocates only
// for the longest values seen, not for every value (the DICOM JSON of each stored instance reads
// every element this way).
class TextValues {
 public:
  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  const std::string& operator[](size_t i) const { return slots_[i]; }
  std::string& operator[](size_t i) { return slots_[i]; }
  const std::string* begin() const { return slots_.data(); }
  const std::string* end() const { return slots_.data() + size_; }
  void clear() { size_ = 0; }
  // A new, empty value at the end.
  std::string& add();
  std::vector<std::string> to_vector() const { return {begin(), end()}; }

 private:
  std::vector<std::string> slots_;  // the first size_ are the values
  size_t size_ = 0;
};

// Values of a text or PN element: split on "\", padding trimmed per VR as pydicom does, decoded
// to UTF-8. A PN value is the whole name ("Family^Given=Ideographic"). An empty element gives
// no values; "A\\" gives {"A", ""}. False (out cleared) when the value cannot be read.
bool read_text_values(DcmElement& e, VrKind kind, const TextDecoder& text, TextValues& out);
// The same from the value as DCMTK hands it out (its trailing padding character removed).
void split_text_values(std::string_view raw, std::string_view vr, VrKind kind, const TextDecoder& text,
                       TextValues& out);

// One value of a binary number VR (FD FL SL SS SV UL US UV), widened.
struct BinaryNumber {
  uint64_t u = 0;  // US UL UV
  int64_t i = 0;   // SS SL SV
  double d = 0;    // FL FD
};
// The element's values (vr is its VR); false when unreadable.
bool read_binary_numbers(DcmElement& e, std::string_view vr, std::vector<BinaryNumber>& out);
// The values of an AT element; false when unreadable.
bool read_tag_values(DcmElement& e, std::vector<Tag>& out);

// The values of any non-sequence, non-bytes element as text (numbers in decimal, AT as
// "GGGGEEEE"). False when unreadable.
bool read_values_as_text(DcmElement& e, const TextDecoder& text, TextValues& out);
// The same as a vector; nullopt when unreadable.
std::optional<std::vector<std::string>> values_as_text(DcmElement& e, const TextDecoder& text);

// The element tag of item (top level only), or nullptr.
DcmElement* find_element(DcmItem& item, Tag tag);
// The elements of item (top level only) with the given tags, in their order (nullptr where
// absent), found in one walk of the item's list: its elements are in tag order, so the walk ends
// after the highest tag asked for.
std::vector<DcmElement*> find_elements(DcmItem& item, const std::vector<Tag>& tags);
// A private tag (gggg,xxee) of a creator: the element ee of the block the creator reserved
// (gggg,00bb) = creator -> (gggg,bbee). Standard tags (empty creator) as find_element.
DcmElement* find_element(DcmItem& item, Tag tag, std::string_view private_creator);

// Trims DICOM padding (spaces and NULs) from both ends.
std::string_view trim_padding(std::string_view s);

// The dictionary name of tag ("PatientName"), "" when unknown.
std::string tag_keyword(Tag tag);

}  // namespace healthd::dicom::detail
