#include "dicom/element_values.h"

#include "dicom/raw_dataset.h"

#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmdata/dcdict.h>
#include <dcmtk/dcmdata/dcdicent.h>
#include <dcmtk/dcmdata/dcelem.h>
#include <dcmtk/dcmdata/dcitem.h>

#include <algorithm>
#include <charconv>

namespace healthd::dicom::detail {

namespace {

// Calls fn(part) for each part of s between separators ("" gives one empty part).
template <typename Fn>
void for_each_part(std::string_view s, char sep, Fn&& fn) {
  size_t start = 0;
  for (size_t i = 0; i <= s.size(); ++i) {
    if (i == s.size() || s[i] == sep) {
      fn(s.substr(start, i - start));
      start = i + 1;
    }
  }
}

std::string_view rstrip(std::string_view s, std::string_view chars) {
  while (!s.empty() && chars.find(s.back()) != std::string_view::npos) s.remove_suffix(1);
  return s;
}

std::string_view strip(std::string_view s, std::string_view chars) {
  s = rstrip(s, chars);
  while (!s.empty() && chars.find(s.front()) != std::string_view::npos) s.remove_prefix(1);
  return s;
}

constexpr std::string_view kPadding{"\0 ", 2};
constexpr std::string_view kWhitespace{" \t\n\r\v\f"};

// A PN value into out: its component groups decoded, joined by "=", trailing empty groups dropped.
void put_person_name(std::string& out, std::string_view value, const TextDecoder& text) {
  size_t kept = 0;  // out's length after the last non-empty group
  bool first = true;
  for_each_part(value, '=', [&](std::string_view group) {
    if (!first) out += '=';
    first = false;
    const size_t before = out.size();
    text.append_decoded(out, group, "\\^=");
    if (out.size() > before) kept = out.size();
  });
  out.resize(kept);
}

// rstrip in place (the padding of a value decoded into out).
void rstrip_in_place(std::string& out, std::string_view chars) { out.resize(rstrip(out, chars).size()); }

template <typename T>
std::string number_text(T v) {
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, r.ptr);
}

}  // namespace

std::string_view trim_padding(std::string_view s) { return strip(s, kPadding); }

VrKind vr_kind(std::string_view vr) {
  // Called for every element several times (JSON, checks, index): a switch on the two letters.
  if (vr.size() != 2) return VrKind::kText;
  switch (vr[0] << 8 | vr[1]) {
    case 'P' << 8 | 'N': return VrKind::kPersonName;
    case 'D' << 8 | 'S': case 'I' << 8 | 'S': return VrKind::kNumberText;
    case 'F' << 8 | 'D': case 'F' << 8 | 'L': case 'S' << 8 | 'L': case 'S' << 8 | 'S':
    case 'S' << 8 | 'V': case 'U' << 8 | 'L': case 'U' << 8 | 'S': case 'U' << 8 | 'V':
      return VrKind::kBinaryNumber;
    case 'A' << 8 | 'T': return VrKind::kTag;
    case 'S' << 8 | 'Q': return VrKind::kSequence;
    case 'O' << 8 | 'B': case 'O' << 8 | 'D': case 'O' << 8 | 'F': case 'O' << 8 | 'L':
    case 'O' << 8 | 'V': case 'O' << 8 | 'W': case 'U' << 8 | 'N':
      return VrKind::kBytes;
    default: return VrKind::kText;
  }
}

Tag element_tag(DcmElement& e) { return make_tag(e.getGTag(), e.getETag()); }
uint64_t value_length(DcmElement& e) { return e.getLength(); }

std::string_view vr_name(DcmElement& e) {
  // getValidEVR maps DCMTK's internal VRs (up, xs, ox, unknown, pixel data ...) to standard ones.
  DcmVR vr(DcmVR(e.getVR()).getValidEVR());
  return vr.getVRName();
}

TextDecoder decoder_for(DcmItem& item, const TextDecoder& inherited) {
  DcmElement* e = find_element(item, tags::kSpecificCharacterSet);
  if (e == nullptr) return inherited;
  char* s = nullptr;
  Uint32 n = 0;
  if (e->getString(s, n).bad() || s == nullptr) return TextDecoder();
  return TextDecoder(std::string_view(s, n));
}

std::string& TextValues::add() {
  if (size_ == slots_.size()) slots_.emplace_back();
  std::string& s = slots_[size_++];
  s.clear();
  return s;
}

bool read_text_values(DcmElement& e, VrKind kind, const TextDecoder& text, TextValues& out) {
  out.clear();
  if (e.getLength() == 0) return true;
  char* s = nullptr;
  Uint32 n = 0;
  if (!e.isaString() || e.getString(s, n).bad()) return false;
  split_text_values(s ? std::string_view(s, n) : std::string_view(), vr_name(e), kind, text, out);
  return true;
}

void split_text_values(std::string_view raw, std::string_view vr, VrKind kind, const TextDecoder& text,
                       TextValues& out) {
  out.clear();
  if (kind == VrKind::kPersonName) {
    raw = rstrip(raw, kPadding);
    if (raw.empty()) return;
    for_each_part(raw, '\\', [&](std::string_view v) { put_person_name(out.add(), v, text); });
  } else if (vr == "LO" || vr == "SH" || vr == "UC") {
    // split first, then decode: "\" ends a code extension (PS3.5 6.1.2.5.3)
    for_each_part(raw, '\\', [&](std::string_view v) {
      std::string& value = out.add();
      text.append_decoded(value, v, "\\");
      rstrip_in_place(value, kPadding);
    });
  } else if (vr == "ST" || vr == "LT" || vr == "UT") {
    std::string& value = out.add();
    text.append_decoded(value, raw, "");
    rstrip_in_place(value, kPadding);
  } else if (vr == "UR") {
    append_latin1_utf8(out.add(), rstrip(raw, kWhitespace));
  } else if (vr == "AE") {
    for_each_part(raw, '\\', [&](std::string_view v) { append_latin1_utf8(out.add(), strip(v, kWhitespace)); });
  } else {
    // AS CS DA DS DT IS TM UI: default repertoire; only the end of the whole value is padding
    raw = rstrip(raw, kPadding);
    if (raw.empty()) return;
    for_each_part(raw, '\\', [&](std::string_view v) { append_latin1_utf8(out.add(), v); });
  }
  if (out.size() == 1 && out[0].empty()) out.clear();
}

bool read_binary_numbers(DcmElement& e, std::string_view vr, std::vector<BinaryNumber>& out) {
  out.clear();
  const unsigned long vm = e.getLength() == 0 ? 0 : e.getVM();
  for (unsigned long i = 0; i < vm; ++i) {
    OFCondition st;
    BinaryNumber& v = out.emplace_back();
    if (vr == "US") { Uint16 x = 0; st = e.getUint16(x, i); v.u = x; }
    else if (vr == "SS") { Sint16 x = 0; st = e.getSint16(x, i); v.i = x; }
    else if (vr == "UL") { Uint32 x = 0; st = e.getUint32(x, i); v.u = x; }
    else if (vr == "SL") { Sint32 x = 0; st = e.getSint32(x, i); v.i = x; }
    else if (vr == "UV") { Uint64 x = 0; st = e.getUint64(x, i); v.u = x; }
    else if (vr == "SV") { Sint64 x = 0; st = e.getSint64(x, i); v.i = x; }
    else if (vr == "FL") { Float32 x = 0; st = e.getFloat32(x, i); v.d = x; }
    else { Float64 x = 0; st = e.getFloat64(x, i); v.d = x; }
    if (st.bad()) {
      out.clear();
      return false;
    }
  }
  return true;
}

bool read_tag_values(DcmElement& e, std::vector<Tag>& out) {
  out.clear();
  const unsigned long vm = e.getLength() == 0 ? 0 : e.getVM();
  for (unsigned long i = 0; i < vm; ++i) {
    DcmTagKey key;
    if (e.getTagVal(key, i).bad()) {
      out.clear();
      return false;
    }
    out.push_back(make_tag(key.getGroup(), key.getElement()));
  }
  return true;
}

namespace {

// read_values_as_text for either kind of element (DCMTK's or raw_dataset.h's).
template <typename Element>
bool values_as_text_of(Element& e, const TextDecoder& text, TextValues& out) {
  out.clear();
  const std::string_view vr = vr_name(e);
  const VrKind kind = vr_kind(vr);
  switch (kind) {
    case VrKind::kText:
    case VrKind::kPersonName:
      return read_text_values(e, kind, text, out);
    case VrKind::kNumberText: {
      if (!read_text_values(e, kind, text, out)) return false;
      for (size_t i = 0; i < out.size(); ++i) {
        std::string& v = out[i];
        const std::string_view trimmed = strip(v, kWhitespace);
        if (trimmed.size() != v.size()) v = std::string(trimmed);
      }
      return true;
    }
    case VrKind::kBinaryNumber: {
      thread_local std::vector<BinaryNumber> numbers;
      if (!read_binary_numbers(e, vr, numbers)) return false;
      for (const BinaryNumber& n : numbers) {
        std::string& v = out.add();
        if (vr == "US" || vr == "UL" || vr == "UV") v = number_text(n.u);
        else if (vr == "SS" || vr == "SL" || vr == "SV") v = number_text(n.i);
        else v = number_text(n.d);
      }
      return true;
    }
    case VrKind::kTag: {
      thread_local std::vector<Tag> tags;
      if (!read_tag_values(e, tags)) return false;
      for (Tag t : tags) out.add() = tag_hex(t);
      return true;
    }
    case VrKind::kBytes:
    case VrKind::kSequence:
      break;
  }
  return false;
}

}  // namespace

bool read_values_as_text(DcmElement& e, const TextDecoder& text, TextValues& out) {
  return values_as_text_of(e, text, out);
}

bool read_values_as_text(const RawElement& e, const TextDecoder& text, TextValues& out) {
  return values_as_text_of(e, text, out);
}

namespace {

template <typename Element>
std::optional<std::vector<std::string>> values_as_vector(Element& e, const TextDecoder& text) {
  TextValues values;
  if (!values_as_text_of(e, text, values)) return std::nullopt;
  return values.to_vector();
}

}  // namespace

std::optional<std::vector<std::string>> values_as_text(DcmElement& e, const TextDecoder& text) {
  return values_as_vector(e, text);
}

std::optional<std::vector<std::string>> values_as_text(const RawElement& e, const TextDecoder& text) {
  return values_as_vector(e, text);
}

DcmElement* find_element(DcmItem& item, Tag tag) {
  // The item's elements are in tag order: the walk ends at the first tag not below `tag` (DCMTK's
  // search would build a stack and walk to the end when the tag is absent).
  for (DcmObject* o = item.nextInContainer(nullptr); o; o = item.nextInContainer(o)) {
    const Tag found = make_tag(o->getGTag(), o->getETag());
    if (found == tag) return dynamic_cast<DcmElement*>(o);
    if (found > tag) break;
  }
  return nullptr;
}

std::vector<DcmElement*> find_elements(DcmItem& item, const std::vector<Tag>& tags) {
  std::vector<DcmElement*> out(tags.size(), nullptr);
  std::vector<size_t> order(tags.size());  // indexes of tags, by tag
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return tags[a] < tags[b]; });
  size_t next = 0;  // in order: the lowest tag not passed yet
  for (DcmObject* o = item.nextInContainer(nullptr); o && next < order.size(); o = item.nextInContainer(o)) {
    const Tag tag = make_tag(o->getGTag(), o->getETag());
    while (next < order.size() && tags[order[next]] < tag) ++next;
    for (; next < order.size() && tags[order[next]] == tag; ++next) out[order[next]] = dynamic_cast<DcmElement*>(o);
  }
  return out;
}

namespace {

// The first value of a private creator element, as DCMTK hands it out; nullopt when unreadable.
std::optional<std::string> first_value(DcmElement& creator) {
  OFString value;
  if (creator.getOFString(value, 0).bad()) return std::nullopt;
  return std::string(value.c_str(), value.length());
}

std::optional<std::string> first_value(const RawElement& creator) {
  if (vr_kind(vr_name(creator)) != VrKind::kText) return std::nullopt;
  return std::string(creator.value.substr(0, creator.value.find('\\')));
}

// A private tag (gggg,xxee) of a creator: the creator's block (gggg,00bb) = creator -> (gggg,bbee).
template <typename Item>
auto find_private(Item& item, Tag tag, std::string_view private_creator) -> decltype(find_element(item, tag)) {
  if (private_creator.empty()) return find_element(item, tag);
  const uint16_t group = tag_group(tag);
  for (uint16_t block = 0x10; block <= 0xFF; ++block) {
    auto* creator = find_element(item, make_tag(group, block));
    if (!creator) continue;
    const std::optional<std::string> name = first_value(*creator);
    if (!name || trim_padding(*name) != private_creator) continue;
    return find_element(item, make_tag(group, static_cast<uint16_t>((block << 8) | (tag_element(tag) & 0xFF))));
  }
  return nullptr;
}

}  // namespace

DcmElement* find_element(DcmItem& item, Tag tag, std::string_view private_creator) {
  return find_private(item, tag, private_creator);
}

const RawElement* find_element(const RawItem& item, Tag tag, std::string_view private_creator) {
  return find_private(item, tag, private_creator);
}

std::string tag_keyword(Tag tag) {
  const DcmDataDictionary& dict = dcmDataDict.rdlock();
  const DcmDictEntry* entry = dict.findEntry(DcmTagKey(tag_group(tag), tag_element(tag)), nullptr);
  std::string name = entry && entry->getTagName() ? entry->getTagName() : "";
  dcmDataDict.rdunlock();
  return name;
}

}  // namespace healthd::dicom::detail
