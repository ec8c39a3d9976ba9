#include "dicom/element_values.h"

#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmdata/dcdeftag.h>
#include <dcmtk/dcmdata/dcdict.h>
#include <dcmtk/dcmdata/dcdicent.h>
#include <dcmtk/dcmdata/dcelem.h>
#include <dcmtk/dcmdata/dcitem.h>

#include <algorithm>
#include <charconv>

namespace healthd::dicom::detail {

namespace {

std::vector<std::string_view> split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  size_t start = 0;
  for (size_t i = 0; i <= s.size(); ++i) {
    if (i == s.size() || s[i] == sep) {
      out.push_back(s.substr(start, i - start));
      start = i + 1;
    }
  }
  return out;
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

// A PN value: its component groups decoded, trailing empty groups dropped.
std::vector<std::string> person_name_groups(std::string_view value, const TextDecoder& text) {
  std::vector<std::string> groups;
  for (std::string_view g : split(value, '=')) groups.push_back(text.decode(g, "\\^="));
  while (!groups.empty() && groups.back().empty()) groups.pop_back();
  return groups;
}

template <typename T>
std::string number_text(T v) {
  char buf[64];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, r.ptr);
}

}  // namespace

std::string_view trim_padding(std::string_view s) { return strip(s, kPadding); }

VrKind vr_kind(std::string_view vr) {
  if (vr == "PN") return VrKind::kPersonName;
  if (vr == "DS" || vr == "IS") return VrKind::kNumberText;
  if (vr == "FD" || vr == "FL" || vr == "SL" || vr == "SS" || vr == "SV" || vr == "UL" ||
      vr == "US" || vr == "UV")
    return VrKind::kBinaryNumber;
  if (vr == "AT") return VrKind::kTag;
  if (vr == "SQ") return VrKind::kSequence;
  if (vr == "OB" || vr == "OD" || vr == "OF" || vr == "OL" || vr == "OV" || vr == "OW" ||
      vr == "UN")
    return VrKind::kBytes;
  return VrKind::kText;
}

std::string vr_name(DcmElement& e) {
  // getValidEVR maps DCMTK's internal VRs (up, xs, ox, unknown, pixel data ...) to standard ones.
  DcmVR vr(DcmVR(e.getVR()).getValidEVR());
  return vr.getVRName();
}

TextDecoder decoder_for(DcmItem& item, const TextDecoder& inherited) {
  DcmElement* e = nullptr;
  if (item.findAndGetElement(DCM_SpecificCharacterSet, e, OFFalse).bad() || e == nullptr)
    return inherited;
  char* s = nullptr;
  Uint32 n = 0;
  if (e->getString(s, n).bad() || s == nullptr) return TextDecoder();
  return TextDecoder(std::string_view(s, n));
}

std::optional<std::vector<std::string>> text_values(DcmElement& e, VrKind kind,
                                                    const TextDecoder& text) {
  std::vector<std::string> out;
  if (e.getLength() == 0) return out;
  char* s = nullptr;
  Uint32 n = 0;
  if (!e.isaString() || e.getString(s, n).bad()) return std::nullopt;
  std::string_view raw = s ? std::string_view(s, n) : std::string_view();
  const std::string vr = vr_name(e);

  if (kind == VrKind::kPersonName) {
    raw = rstrip(raw, kPadding);
    if (raw.empty()) return out;
    for (std::string_view v : split(raw, '\\')) {
      std::string name;
      auto groups = person_name_groups(v, text);
      for (size_t i = 0; i < groups.size(); ++i) name += (i ? "=" : "") + groups[i];
      out.push_back(std::move(name));
    }
  } else if (vr == "LO" || vr == "SH" || vr == "UC") {
    // split first, then decode: "\" ends a code extension (PS3.5 6.1.2.5.3)
    for (std::string_view v : split(raw, '\\'))
      out.push_back(std::string(rstrip(text.decode(v, "\\"), kPadding)));
  } else if (vr == "ST" || vr == "LT" || vr == "UT") {
    out.push_back(std::string(rstrip(text.decode(raw, ""), kPadding)));
  } else if (vr == "UR") {
    out.push_back(std::string(rstrip(latin1_to_utf8(raw), kWhitespace)));
  } else if (vr == "AE") {
    for (std::string_view v : split(raw, '\\'))
      out.push_back(latin1_to_utf8(strip(v, kWhitespace)));
  } else {
    // AS CS DA DS DT IS TM UI: default repertoire; only the end of the whole value is padding
    raw = rstrip(raw, kPadding);
    if (raw.empty()) return out;
    for (std::string_view v : split(raw, '\\')) out.push_back(latin1_to_utf8(v));
  }
  if (out.size() == 1 && out[0].empty()) out.clear();
  return out;
}

std::optional<std::vector<std::string>> values_as_text(DcmElement& e, const TextDecoder& text) {
  const std::string vr = vr_name(e);
  const VrKind kind = vr_kind(vr);
  switch (kind) {
    case VrKind::kText:
    case VrKind::kPersonName:
      return text_values(e, kind, text);
    case VrKind::kNumberText: {
      auto values = text_values(e, kind, text);
      if (values)
        for (auto& v : *values) v = std::string(strip(v, kWhitespace));
      return values;
    }
    case VrKind::kBinaryNumber: {
      std::vector<std::string> out;
      const unsigned long vm = e.getLength() == 0 ? 0 : e.getVM();
      for (unsigned long i = 0; i < vm; ++i) {
        OFCondition st;
        std::string v;
        if (vr == "US") { Uint16 x; st = e.getUint16(x, i); v = number_text(x); }
        else if (vr == "SS") { Sint16 x; st = e.getSint16(x, i); v = number_text(x); }
        else if (vr == "UL") { Uint32 x; st = e.getUint32(x, i); v = number_text(x); }
        else if (vr == "SL") { Sint32 x; st = e.getSint32(x, i); v = number_text(x); }
        else if (vr == "UV") { Uint64 x; st = e.getUint64(x, i); v = number_text(x); }
        else if (vr == "SV") { Sint64 x; st = e.getSint64(x, i); v = number_text(x); }
        else if (vr == "FL") { Float32 x; st = e.getFloat32(x, i); v = number_text(static_cast<double>(x)); }
        else { Float64 x; st = e.getFloat64(x, i); v = number_text(x); }
        if (st.bad()) return std::nullopt;
        out.push_back(std::move(v));
      }
      return out;
    }
    case VrKind::kTag: {
      std::vector<std::string> out;
      const unsigned long vm = e.getLength() == 0 ? 0 : e.getVM();
      for (unsigned long i = 0; i < vm; ++i) {
        DcmTagKey key;
        if (e.getTagVal(key, i).bad()) return std::nullopt;
        out.push_back(tag_hex(make_tag(key.getGroup(), key.getElement())));
      }
      return out;
    }
    case VrKind::kBytes:
    case VrKind::kSequence:
      break;
  }
  return std::nullopt;
}

DcmElement* find_element(DcmItem& item, Tag tag) {
  DcmElement* e = nullptr;
  if (item.findAndGetElement(DcmTagKey(tag_group(tag), tag_element(tag)), e, OFFalse).bad())
    return nullptr;
  return e;
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

DcmElement* find_element(DcmItem& item, Tag tag, std::string_view private_creator) {
  if (private_creator.empty()) return find_element(item, tag);
  const uint16_t group = tag_group(tag);
  for (uint16_t block = 0x10; block <= 0xFF; ++block) {
    DcmElement* creator = find_element(item, make_tag(group, block));
    if (!creator) continue;
    OFString value;
    if (creator->getOFString(value, 0).bad()) continue;
    if (trim_padding(std::string_view(value.c_str(), value.length())) != private_creator) continue;
    return find_element(item, make_tag(group, static_cast<uint16_t>((block << 8) | (tag_element(tag) & 0xFF))));
  }
  return nullptr;
}

std::string tag_keyword(Tag tag) {
  const DcmDataDictionary& dict = dcmDataDict.rdlock();
  const DcmDictEntry* entry = dict.findEntry(DcmTagKey(tag_group(tag), tag_element(tag)), nullptr);
  std::string name = entry && entry->getTagName() ? entry->getTagName() : "";
  dcmDataDict.rdunlock();
  return name;
}

}  // namespace healthd::dicom::detail
