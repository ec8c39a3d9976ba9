#include "dicom/json_model.h"

#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmdata/dcdatset.h>
#include <dcmtk/dcmdata/dcelem.h>
#include <dcmtk/dcmdata/dcsequen.h>

#include <charconv>
#include <cmath>

#include "dicom/base64.h"
#include "dicom/element_bytes.h"
#include "dicom/element_values.h"
#include "dicom/instance_impl.h"

namespace healthd::dicom {

namespace {

using detail::TextDecoder;
using detail::VrKind;

std::string_view trim_spaces(std::string_view s) {
  while (!s.empty() && s.front() == ' ') s.remove_prefix(1);
  while (!s.empty() && s.back() == ' ') s.remove_suffix(1);
  return s;
}

// DS: a decimal number. Fails on anything else (including NaN and infinities, which JSON lacks).
bool parse_ds(std::string_view s, double* out) {
  s = trim_spaces(s);
  if (!s.empty() && s.front() == '+') s.remove_prefix(1);
  auto r = std::from_chars(s.data(), s.data() + s.size(), *out);
  return !s.empty() && r.ec == std::errc() && r.ptr == s.data() + s.size() && std::isfinite(*out);
}

// IS: an integer; "5.0" is tolerated (pydicom reads it as 5), "5.5" is not.
bool parse_is(std::string_view s, int64_t* out) {
  s = trim_spaces(s);
  if (!s.empty() && s.front() == '+') s.remove_prefix(1);
  auto r = std::from_chars(s.data(), s.data() + s.size(), *out);
  if (!s.empty() && r.ec == std::errc() && r.ptr == s.data() + s.size()) return true;
  double d;
  if (!parse_ds(s, &d) || d != std::floor(d) || std::fabs(d) > 9.0e15) return false;
  *out = static_cast<int64_t>(d);
  return true;
}

// Emits the DICOM JSON as SAX events to a RapidJSON handler: a Writer (text, no tree built on
// the way) or a Document (a tree). Every string is passed with copy = true (they are temporaries).
template <typename Handler>
class Builder {
 public:
  Builder(const Instance::Impl& instance, const JsonOptions& options, Handler& out)
      : instance_(instance), options_(options), h_(out) {}

  bool item(DcmItem& item, const TextDecoder& inherited, const std::string& prefix) {
    h_.StartObject();
    rapidjson::SizeType members = 0;  // a Document's EndObject needs the count
    TextDecoder text = detail::decoder_for(item, inherited);
    // nextInContainer walks the list; getElement(i) would seek from its start for every i.
    for (DcmObject* o = item.nextInContainer(nullptr); o; o = item.nextInContainer(o)) {
      auto* e = dynamic_cast<DcmElement*>(o);
      if (!e) continue;
      Tag tag = make_tag(e->getGTag(), e->getETag());
      if (tag_element(tag) == 0) continue;  // group lengths describe an encoding, not data
      if (!element(*e, text, prefix, tag_hex(tag), members)) return false;
    }
    h_.EndObject(members);
    return true;
  }

  const std::string& error() const { return error_; }

 private:
  // An IS or DS value: null when empty, else a number.
  struct NumberText {
    bool null = true, integer = false;
    int64_t i = 0;
    double d = 0;
  };

  // Writes "key": {"vr": ..., ...}, or nothing for an element left out (an IS or DS that is not
  // a number). The element's path (bulk.h) is prefix + key, built only where a URI needs it.
  // False (and error()) when a value cannot be read; ++written when the element is written.
  bool element(DcmElement& e, const TextDecoder& text, const std::string& prefix, const std::string& key,
               rapidjson::SizeType& written) {
    const std::string_view vr = detail::vr_name(e);
    const VrKind kind = detail::vr_kind(vr);
    const bool bulk = kind != VrKind::kSequence && kind != VrKind::kBytes && options_.bulk_value_min > 0 &&
                      e.getLength() > options_.bulk_value_min;
    const bool has_values = kind != VrKind::kSequence && kind != VrKind::kBytes && !bulk && e.getLength() > 0;

    // What may leave the element out is decided before any of it is written.
    std::vector<NumberText>& numbers = numbers_;
    numbers.clear();
    if (has_values && kind == VrKind::kNumberText) {
      if (!detail::read_text_values(e, VrKind::kNumberText, text, values_)) return unreadable(e);
      for (const std::string& s : values_) {
        NumberText n;
        if (!trim_spaces(s).empty()) {
          n.null = false;
          n.integer = vr == "IS";
          if (n.integer ? !parse_is(s, &n.i) : !parse_ds(s, &n.d)) return true;  // cannot be represented
        }
        numbers.push_back(n);
      }
    }

    key_(key);
    h_.StartObject();
    key_("vr");
    string(vr);
    rapidjson::SizeType members = 1;  // "vr", then "Value", "BulkDataURI" or "InlineBinary" (++members)
    bool ok = true;
    if (kind == VrKind::kSequence) {
      ok = sequence(static_cast<DcmSequenceOfItems&>(e), text, prefix + key, members);
    } else if (kind == VrKind::kBytes) {
      ok = bytes(e, prefix + key, members);
    } else if (bulk) {
      key_("BulkDataURI");
      string(uri(prefix + key));
      ++members;
    } else if (has_values) {
      switch (kind) {
        case VrKind::kPersonName: ok = person_names(e, text, members); break;
        case VrKind::kText:
        case VrKind::kTag: ok = texts(e, text, members); break;
        case VrKind::kNumberText: number_texts(numbers, members); break;
        case VrKind::kBinaryNumber: ok = binary_numbers(e, vr, members); break;
        default: break;
      }
    }
    if (!ok) return false;
    h_.EndObject(members);
    ++written;
    return true;
  }

  bool sequence(DcmSequenceOfItems& seq, const TextDecoder& text, const std::string& path,
                rapidjson::SizeType& members) {
    if (seq.card() == 0) return true;  // empty: no "Value" (PS3.18 F.2.5)
    key_("Value");
    h_.StartArray();
    rapidjson::SizeType k = 0;
    for (DcmObject* o = seq.nextInContainer(nullptr); o; o = seq.nextInContainer(o), ++k) {
      auto* it = dynamic_cast<DcmItem*>(o);
      if (!it || !item(*it, text, path + "/" + std::to_string(k) + "/")) return false;
    }
    h_.EndArray(k);
    ++members;
    return true;
  }

  bool bytes(DcmElement& e, const std::string& path, rapidjson::SizeType& members) {
    uint64_t size = detail::bulk_value_size(e, instance_);
    if (size == 0) return true;
    if (options_.inline_binary_max > 0 && size <= options_.inline_binary_max) {
      std::string data;
      data.reserve(size);
      auto sink = [&](const char* d, size_t n) { data.append(d, n); return true; };
      if (!detail::stream_bulk_value(e, instance_, sink, &error_)) return false;
      key_("InlineBinary");
      string(detail::base64_encode(data));
    } else {
      key_("BulkDataURI");
      string(uri(path));
    }
    ++members;
    return true;
  }

  bool person_names(DcmElement& e, const TextDecoder& text, rapidjson::SizeType& members) {
    if (!detail::read_text_values(e, VrKind::kPersonName, text, values_)) return unreadable(e);
    const detail::TextValues& names = values_;
    if (names.empty()) return true;
    key_("Value");
    h_.StartArray();
    for (const std::string& name : names) {
      if (name.empty()) {
        h_.Null();
        continue;
      }
      static const char* kGroups[] = {"Alphabetic", "Ideographic", "Phonetic"};
      h_.StartObject();
      size_t start = 0;
      rapidjson::SizeType groups = 0;
      for (int g = 0; g < 3 && start <= name.size(); ++g, ++groups) {
        size_t eq = name.find('=', start);
        std::string_view group = std::string_view(name).substr(start, eq == std::string::npos ? eq : eq - start);
        key_(kGroups[g]);
        string(group);
        if (eq == std::string::npos) {
          ++groups;
          break;
        }
        start = eq + 1;
      }
      h_.EndObject(groups);
    }
    h_.EndArray(static_cast<rapidjson::SizeType>(names.size()));
    ++members;
    return true;
  }

  bool texts(DcmElement& e, const TextDecoder& text, rapidjson::SizeType& members) {
    if (!detail::read_values_as_text(e, text, values_)) return unreadable(e);
    const detail::TextValues& strings = values_;
    if (strings.empty()) return true;
    key_("Value");
    h_.StartArray();
    for (const std::string& s : strings) {
      if (s.empty() && strings.size() > 1) h_.Null();  // F.2.5: null
      else string(s);
    }
    h_.EndArray(static_cast<rapidjson::SizeType>(strings.size()));
    ++members;
    return true;
  }

  void number_texts(const std::vector<NumberText>& numbers, rapidjson::SizeType& members) {
    if (numbers.empty()) return;
    key_("Value");
    h_.StartArray();
    for (const NumberText& n : numbers) {
      if (n.null) h_.Null();
      else if (n.integer) h_.Int64(n.i);
      else h_.Double(n.d);
    }
    h_.EndArray(static_cast<rapidjson::SizeType>(numbers.size()));
    ++members;
  }

  bool binary_numbers(DcmElement& e, std::string_view vr, rapidjson::SizeType& members) {
    const unsigned long vm = e.getVM();
    if (vm == 0) return true;
    key_("Value");
    h_.StartArray();
    for (unsigned long i = 0; i < vm; ++i) {
      OFCondition st;
      if (vr == "US") { Uint16 x = 0; st = e.getUint16(x, i); h_.Uint(x); }
      else if (vr == "SS") { Sint16 x = 0; st = e.getSint16(x, i); h_.Int(x); }
      else if (vr == "UL") { Uint32 x = 0; st = e.getUint32(x, i); h_.Uint(x); }
      else if (vr == "SL") { Sint32 x = 0; st = e.getSint32(x, i); h_.Int(x); }
      else if (vr == "UV") { Uint64 x = 0; st = e.getUint64(x, i); h_.Uint64(x); }
      else if (vr == "SV") { Sint64 x = 0; st = e.getSint64(x, i); h_.Int64(x); }
      else {
        double x = 0;
        if (vr == "FL") { Float32 f = 0; st = e.getFloat32(f, i); x = f; }
        else { Float64 d = 0; st = e.getFloat64(d, i); x = d; }
        if (std::isfinite(x)) h_.Double(x);
        else h_.Null();  // NaN and infinities have no JSON form
      }
      if (st.bad()) return unreadable(e);
    }
    h_.EndArray(static_cast<rapidjson::SizeType>(vm));
    ++members;
    return true;
  }

  bool unreadable(DcmElement& e) {
    error_ = "cannot read the value of " + tag_paren(make_tag(e.getGTag(), e.getETag()));
    return false;
  }

  void key_(std::string_view k) { h_.Key(k.data(), static_cast<rapidjson::SizeType>(k.size()), true); }
  void string(std::string_view v) { h_.String(v.data(), static_cast<rapidjson::SizeType>(v.size()), true); }

  std::string uri(const std::string& path) const {
    return options_.bulk_data_base.empty() ? path : options_.bulk_data_base + "/" + path;
  }

  const Instance::Impl& instance_;
  const JsonOptions& options_;
  Handler& h_;
  std::string error_;
  // Reused by every element (an element's values are written before the next one is read).
  detail::TextValues values_;
  std::vector<NumberText> numbers_;
};

}  // namespace

bool to_dicom_json(const Instance& instance, const JsonOptions& options, json::Value& out,
                   json::Allocator& alloc, std::string* error) {
  json::Document doc(&alloc);  // builds with the caller's allocator, so out may take the tree
  bool ok = false;
  auto generate = [&](json::Document& handler) {
    Builder<json::Document> builder(instance.impl(), options, handler);
    ok = builder.item(instance.impl().dataset(), TextDecoder(), "");
    if (!ok && error) *error = builder.error();
    return ok;
  };
  doc.Populate(generate);
  if (!ok) {
    out.SetObject();
    return false;
  }
  out.Swap(doc);
  return true;
}

std::string to_dicom_json_text(const Instance& instance, const JsonOptions& options,
                               std::string* error) {
  // Room for a typical instance's JSON from the start (growing by half from 256 bytes copies it
  // a dozen times).
  constexpr size_t kInitialCapacity = 64 * 1024;
  rapidjson::StringBuffer buffer(nullptr, kInitialCapacity);
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  Builder<rapidjson::Writer<rapidjson::StringBuffer>> builder(instance.impl(), options, writer);
  if (!builder.item(instance.impl().dataset(), TextDecoder(), "")) {
    if (error) *error = builder.error();
    return "";
  }
  return std::string(buffer.GetString(), buffer.GetSize());
}

}  // namespace healthd::dicom
