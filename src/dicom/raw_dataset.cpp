#include "dicom/raw_dataset.h"

#include <algorithm>
#include <cstring>

#include "dicom/transfer_syntax.h"

namespace healthd::dicom::detail {

namespace {

constexpr uint32_t kUndefined = 0xFFFFFFFF;
constexpr uint16_t kItemGroup = 0xFFFE;
constexpr uint16_t kItem = 0xE000, kItemEnd = 0xE00D, kSequenceEnd = 0xE0DD;

constexpr int code(char a, char b) { return a << 8 | b; }

// The VRs of PS3.5 Table 6.2-1 but UN: DCMTK reads a UN of a known tag with the dictionary's VR.
bool known_vr(const char* vr) {
  switch (code(vr[0], vr[1])) {
    case code('A', 'E'): case code('A', 'S'): case code('A', 'T'): case code('C', 'S'): case code('D', 'A'):
    case code('D', 'S'): case code('D', 'T'): case code('F', 'D'): case code('F', 'L'): case code('I', 'S'):
    case code('L', 'O'): case code('L', 'T'): case code('O', 'B'): case code('O', 'D'): case code('O', 'F'):
    case code('O', 'L'): case code('O', 'V'): case code('O', 'W'): case code('P', 'N'): case code('S', 'H'):
    case code('S', 'L'): case code('S', 'Q'): case code('S', 'S'): case code('S', 'T'): case code('S', 'V'):
    case code('T', 'M'): case code('U', 'C'): case code('U', 'I'): case code('U', 'L'): case code('U', 'R'):
    case code('U', 'S'): case code('U', 'T'): case code('U', 'V'):
      return true;
    default:
      return false;
  }
}

// The VRs with a 4-byte length in explicit VR (PS3.5 7.1.2).
bool long_length(const char* vr) {
  switch (code(vr[0], vr[1])) {
    case code('O', 'B'): case code('O', 'D'): case code('O', 'F'): case code('O', 'L'): case code('O', 'V'):
    case code('O', 'W'): case code('S', 'Q'): case code('S', 'V'): case code('U', 'C'): case code('U', 'R'):
    case code('U', 'T'): case code('U', 'V'):
      return true;
    default:
      return false;
  }
}

// Bytes per value of a binary number VR (FD FL SL SS SV UL US UV) or AT.
size_t binary_value_size(std::string_view vr) {
  if (vr == "US" || vr == "SS") return 2;
  if (vr == "FD" || vr == "SV" || vr == "UV") return 8;
  return 4;  // FL SL UL AT
}

uint16_t le16(const char* p) {
  return static_cast<uint16_t>(static_cast<unsigned char>(p[0]) | static_cast<unsigned char>(p[1]) << 8);
}
uint32_t le32(const char* p) { return uint32_t{le16(p)} | uint32_t{le16(p + 2)} << 16; }

// Explicit VR little endian, from bytes_[pos_] on. Every method returns false when the bytes
// are not what this reader reads exactly as DCMTK does; the caller then declines.
class Reader {
 public:
  Reader(std::string_view bytes, size_t pos, int max_depth) : bytes_(bytes), pos_(pos), max_depth_(max_depth) {}

  // Set once the transfer syntax is known: Pixel Data of undefined length is fragments.
  void set_encapsulated(bool encapsulated) { encapsulated_ = encapsulated; }

  // The File Meta Information (group 0002); its Transfer Syntax UID into ts.
  bool meta(std::string& ts) {
    size_t group_end = 0;  // where (0002,0000) says the group ends
    while (left() >= 8 && le16(at()) == 0x0002) {
      RawElement e;
      if (!header(e) || e.value.data() == nullptr) return false;
      if (e.tag == 0x00020000) {
        if (e.value.size() != 4 || std::memcmp(e.vr, "UL", 2) != 0) return false;
        group_end = pos_ + le32(e.value.data());
      } else if (e.tag == 0x00020010) {
        std::string_view v = e.value;
        while (!v.empty() && (v.back() == '\0' || v.back() == ' ')) v.remove_suffix(1);
        ts.assign(v);
      }
    }
    return !ts.empty() && (group_end == 0 || group_end == pos_);
  }

  // Elements up to end (or, with end unset, up to an item delimiter, which is consumed).
  bool item(RawItem& out, size_t end, bool delimited, int depth) {
    while (delimited || pos_ < end) {
      if (left() < 8) return false;
      const uint16_t group = le16(at());
      if (group == kItemGroup) {
        if (!delimited || le16(at() + 2) != kItemEnd || le32(at() + 4) != 0) return false;
        pos_ += 8;
        return true;
      }
      if (group == 0x0002) return false;  // meta information inside the data set
      RawElement& e = out.elements.emplace_back();
      if (!header(e)) return false;
      if (out.elements.size() > 1 && out.elements[out.elements.size() - 2].tag >= e.tag) return false;
      if (e.value.data() != nullptr) {
        if (e.value.size() % 2 != 0 || !value_is_clean(e)) return false;
        continue;
      }
      // Undefined length, or a sequence: read what it holds.
      if (e.vr[0] == 'S' && e.vr[1] == 'Q') {
        if (depth + 1 > max_depth_ || !sequence(e, depth + 1)) return false;
      } else if (e.tag == tags::kPixelData && encapsulated_ && undefined_) {
        if (!fragments(e)) return false;
      } else {
        return false;
      }
    }
    return pos_ == end;
  }

  bool at_end() const { return pos_ == bytes_.size(); }
  size_t left() const { return bytes_.size() - pos_; }

 private:
  const char* at() const { return bytes_.data() + pos_; }

  // Tag, VR and length; the value (defined length, not SQ) as a view, else value.data() null
  // with undefined_ telling whether the length was undefined and seq_end_ where a defined-length
  // sequence ends.
  bool header(RawElement& e) {
    if (left() < 8) return false;
    e.tag = make_tag(le16(at()), le16(at() + 2));
    e.vr[0] = at()[4];
    e.vr[1] = at()[5];
    if (!known_vr(e.vr)) return false;
    uint32_t length;
    if (long_length(e.vr)) {
      if (left() < 12 || le16(at() + 6) != 0) return false;
      length = le32(at() + 8);
      pos_ += 12;
    } else {
      length = le16(at() + 6);
      pos_ += 8;
    }
    undefined_ = length == kUndefined;
    const bool sequence = e.vr[0] == 'S' && e.vr[1] == 'Q';
    if (!undefined_ && length > left()) return false;
    if (undefined_ || sequence) {
      seq_end_ = undefined_ ? 0 : pos_ + length;
      e.value = std::string_view();
      return true;
    }
    e.value = std::string_view(at(), length);  // not null when empty: null means "no value here"
    pos_ += length;
    return true;
  }

  bool sequence(RawElement& e, int depth) {
    const bool delimited = undefined_;
    const size_t end = seq_end_;
    while (delimited || pos_ < end) {
      if (left() < 8 || le16(at()) != kItemGroup) return false;
      const uint16_t what = le16(at() + 2);
      const uint32_t length = le32(at() + 4);
      pos_ += 8;
      if (what == kSequenceEnd && delimited) return length == 0;
      if (what != kItem) return false;
      if (length != kUndefined && length > left()) return false;
      RawItem& it = e.items.emplace_back();
      if (length == kUndefined) {
        if (!item(it, 0, true, depth)) return false;
      } else if (!item(it, pos_ + length, false, depth)) {
        return false;
      }
    }
    return pos_ == end;
  }

  // Encapsulated Pixel Data: fragments (items of defined length) up to the sequence delimiter.
  bool fragments(RawElement& e) {
    const size_t start = pos_;
    while (true) {
      if (left() < 8 || le16(at()) != kItemGroup) return false;
      const uint16_t what = le16(at() + 2);
      const uint32_t length = le32(at() + 4);
      if (what == kSequenceEnd) {
        if (length != 0) return false;
        e.value = std::string_view(bytes_.data() + start, pos_ - start);
        e.vr[0] = 'O', e.vr[1] = 'B';  // as DCMTK has it, whatever the file said (PS3.5 A.4: OB)
        pos_ += 8;
        return true;
      }
      if (what != kItem || length == kUndefined || length > left() - 8) return false;
      pos_ += 8 + length;
    }
  }

  // What DCMTK would hand out changed is declined: it removes every blank from a UID, and a
  // NUL inside a text value would end its C string. Numbers and tags fill their value exactly.
  static bool value_is_clean(const RawElement& e) {
    const VrKind kind = vr_kind(vr_name(e));
    if (kind == VrKind::kBinaryNumber || kind == VrKind::kTag) return e.value.size() % binary_value_size(vr_name(e)) == 0;
    if (kind != VrKind::kText && kind != VrKind::kPersonName && kind != VrKind::kNumberText) return true;
    std::string_view v = e.value;
    const bool uid = e.vr[0] == 'U' && e.vr[1] == 'I';
    if (uid) {
      while (!v.empty() && v.back() == '\0') v.remove_suffix(1);
      for (char c : v)
        if (c == ' ' || (c >= '\t' && c <= '\r')) return false;
    }
    return v.find('\0') == std::string_view::npos;
  }

  std::string_view bytes_;
  size_t pos_;
  const int max_depth_;
  bool encapsulated_ = false;
  bool undefined_ = false;
  size_t seq_end_ = 0;
};

}  // namespace

std::optional<RawDataset> RawDataset::read(std::string_view bytes, int max_sequence_depth) {
  if (bytes.size() < 132 || bytes.substr(128, 4) != "DICM") return std::nullopt;
  Reader reader(bytes, 132, max_sequence_depth);
  RawDataset out;
  if (!reader.meta(out.transfer_syntax_uid_)) return std::nullopt;
  // Explicit VR little endian data sets only: that syntax and the encapsulated ones.
  const TransferSyntaxInfo* ts = find_transfer_syntax(out.transfer_syntax_uid_);
  if (!ts || (out.transfer_syntax_uid_ != kExplicitVrLittleEndian && !ts->encapsulated)) return std::nullopt;
  reader.set_encapsulated(ts->encapsulated);
  out.root_.elements.reserve(256);
  if (!reader.item(out.root_, bytes.size(), false, 0) || !reader.at_end()) return std::nullopt;
  return out;
}

// ---- What the JSON, checks and index read (element_values.h has DCMTK's side) ----

bool read_text_values(const RawElement& e, VrKind kind, const TextDecoder& text, TextValues& out) {
  out.clear();
  if (e.value.empty()) return true;
  if (kind != VrKind::kText && kind != VrKind::kPersonName && kind != VrKind::kNumberText) return false;
  // As DCMTK hands a string out: its trailing padding character removed (NUL for UI, else space).
  const char pad = e.vr[0] == 'U' && e.vr[1] == 'I' ? '\0' : ' ';
  std::string_view v = e.value;
  while (!v.empty() && v.back() == pad) v.remove_suffix(1);
  split_text_values(v, vr_name(e), kind, text, out);
  return true;
}

bool read_binary_numbers(const RawElement& e, std::string_view vr, std::vector<BinaryNumber>& out) {
  out.clear();
  const size_t size = binary_value_size(vr);
  if (e.value.size() % size != 0) return false;
  for (size_t at = 0; at < e.value.size(); at += size) {
    const char* p = e.value.data() + at;
    uint64_t bits = 0;
    for (size_t k = 0; k < size; ++k) bits |= uint64_t{static_cast<unsigned char>(p[k])} << (8 * k);
    BinaryNumber& n = out.emplace_back();
    if (vr == "US" || vr == "UL" || vr == "UV") {
      n.u = bits;
    } else if (vr == "SS") {
      n.i = static_cast<int16_t>(bits);
    } else if (vr == "SL") {
      n.i = static_cast<int32_t>(bits);
    } else if (vr == "SV") {
      n.i = static_cast<int64_t>(bits);
    } else if (vr == "FL") {
      float f;
      const uint32_t b32 = static_cast<uint32_t>(bits);
      std::memcpy(&f, &b32, sizeof f);
      n.d = f;
    } else {
      std::memcpy(&n.d, &bits, sizeof n.d);
    }
  }
  return true;
}

bool read_tag_values(const RawElement& e, std::vector<Tag>& out) {
  out.clear();
  const size_t size = binary_value_size("AT");
  if (e.value.size() % size != 0) return false;
  for (size_t at = 0; at < e.value.size(); at += size)
    out.push_back(make_tag(le16(e.value.data() + at), le16(e.value.data() + at + 2)));
  return true;
}

TextDecoder decoder_for(const RawItem& item, const TextDecoder& inherited) {
  const RawElement* e = find_element(item, tags::kSpecificCharacterSet);
  if (e == nullptr) return inherited;
  std::string_view v = e->value;  // CS: DCMTK hands it out without its trailing spaces
  while (!v.empty() && v.back() == ' ') v.remove_suffix(1);
  return TextDecoder(v);
}

const RawElement* find_element(const RawItem& item, Tag tag) {
  auto it = std::lower_bound(item.elements.begin(), item.elements.end(), tag,
                             [](const RawElement& e, Tag t) { return e.tag < t; });
  return it != item.elements.end() && it->tag == tag ? &*it : nullptr;
}

std::vector<const RawElement*> find_elements(const RawItem& item, const std::vector<Tag>& tags) {
  std::vector<const RawElement*> out(tags.size());
  for (size_t i = 0; i < tags.size(); ++i) out[i] = find_element(item, tags[i]);
  return out;
}

}  // namespace healthd::dicom::detail
