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
using json::Value;

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

class Builder {
 public:
  Builder(const Instance::Impl& instance, const JsonOptions& options, json::Allocator& alloc)
      : instance_(instance), options_(options), a_(alloc) {}

  bool item(DcmItem& item, const TextDecoder& inherited, const std::string& prefix, Value& out) {
    out.SetObject();
    TextDecoder text = detail::decoder_for(item, inherited);
    for (unsigned long i = 0; i < item.card(); ++i) {
      DcmElement* e = item.getElement(i);
      if (!e) continue;
      Tag tag = make_tag(e->getGTag(), e->getETag());
      if (tag_element(tag) == 0) continue;  // group lengths describe an encoding, not data
      Value v;
      switch (element(*e, text, prefix + tag_hex(tag), v)) {
        case Result::kError: return false;
        case Result::kDrop: continue;
        case Result::kKeep: out.AddMember(json::str(tag_hex(tag), a_), v, a_);
      }
    }
    return true;
  }

  const std::string& error() const { return error_; }

 private:
  enum class Result { kKeep, kDrop, kError };

  Result element(DcmElement& e, const TextDecoder& text, const std::string& path, Value& out) {
    const std::string vr = detail::vr_name(e);
    const VrKind kind = detail::vr_kind(vr);
    out.SetObject();
    out.AddMember("vr", json::str(vr, a_), a_);

    if (kind == VrKind::kSequence) return sequence(static_cast<DcmSequenceOfItems&>(e), text, path, out);
    if (kind == VrKind::kBytes) return bytes(e, path, out);
    if (options_.bulk_value_min > 0 && e.getLength() > options_.bulk_value_min) {
      out.AddMember("BulkDataURI", json::str(uri(path), a_), a_);
      return Result::kKeep;
    }
    if (e.getLength() == 0) return Result::kKeep;

    Value values(rapidjson::kArrayType);
    Result r = Result::kKeep;
    switch (kind) {
      case VrKind::kPersonName: r = person_names(e, text, values); break;
      case VrKind::kText: r = texts(e, text, values); break;
      case VrKind::kNumberText: r = number_texts(e, vr, text, values); break;
      case VrKind::kBinaryNumber: r = binary_numbers(e, vr, values); break;
      case VrKind::kTag: r = texts(e, text, values); break;
      default: break;
    }
    if (r != Result::kKeep) return r;
    if (!values.Empty()) out.AddMember("Value", values, a_);
    return Result::kKeep;
  }

  Result sequence(DcmSequenceOfItems& seq, const TextDecoder& text, const std::string& path, Value& out) {
    if (seq.card() == 0) return Result::kKeep;  // empty: no "Value" (PS3.18 F.2.5)
    Value items(rapidjson::kArrayType);
    for (unsigned long k = 0; k < seq.card(); ++k) {
      Value item_json;
      DcmItem* it = seq.getItem(k);
      if (!it || !item(*it, text, path + "/" + std::to_string(k) + "/", item_json)) return Result::kError;
      items.PushBack(item_json, a_);
    }
    out.AddMember("Value", items, a_);
    return Result::kKeep;
  }

  Result bytes(DcmElement& e, const std::string& path, Value& out) {
    uint64_t size = detail::bulk_value_size(e, instance_);
    if (size == 0) return Result::kKeep;
    if (options_.inline_binary_max > 0 && size <= options_.inline_binary_max) {
      std::string data;
      data.reserve(size);
      auto sink = [&](const char* d, size_t n) { data.append(d, n); return true; };
      if (!detail::stream_bulk_value(e, instance_, sink, &error_)) return Result::kError;
      out.AddMember("InlineBinary", json::str(detail::base64_encode(data), a_), a_);
    } else {
      out.AddMember("BulkDataURI", json::str(uri(path), a_), a_);
    }
    return Result::kKeep;
  }

  Result person_names(DcmElement& e, const TextDecoder& text, Value& values) {
    auto names = detail::text_values(e, VrKind::kPersonName, text);
    if (!names) return unreadable(e);
    for (const std::string& name : *names) {
      if (name.empty()) {
        values.PushBack(Value(), a_);
        continue;
      }
      static const char* kGroups[] = {"Alphabetic", "Ideographic", "Phonetic"};
      Value obj(rapidjson::kObjectType);
      size_t start = 0;
      for (int g = 0; g < 3 && start <= name.size(); ++g) {
        size_t eq = name.find('=', start);
        std::string_view group = std::string_view(name).substr(start, eq == std::string::npos ? eq : eq - start);
        obj.AddMember(rapidjson::StringRef(kGroups[g]), json::str(group, a_), a_);
        if (eq == std::string::npos) break;
        start = eq + 1;
      }
      values.PushBack(obj, a_);
    }
    return Result::kKeep;
  }

  Result texts(DcmElement& e, const TextDecoder& text, Value& values) {
    auto strings = detail::values_as_text(e, text);
    if (!strings) return unreadable(e);
    for (const std::string& s : *strings) {
      if (s.empty() && strings->size() > 1) values.PushBack(Value(), a_);  // F.2.5: null
      else values.PushBack(json::str(s, a_), a_);
    }
    return Result::kKeep;
  }

  Result number_texts(DcmElement& e, const std::string& vr, const TextDecoder& text, Value& values) {
    auto strings = detail::text_values(e, VrKind::kNumberText, text);
    if (!strings) return unreadable(e);
    for (const std::string& s : *strings) {
      if (trim_spaces(s).empty()) {
        values.PushBack(Value(), a_);
      } else if (vr == "IS") {
        int64_t v;
        if (!parse_is(s, &v)) return Result::kDrop;  // not a number: cannot be represented
        values.PushBack(Value(v), a_);
      } else {
        double v;
        if (!parse_ds(s, &v)) return Result::kDrop;
        values.PushBack(Value(v), a_);
      }
    }
    return Result::kKeep;
  }

  Result binary_numbers(DcmElement& e, const std::string& vr, Value& values) {
    const unsigned long vm = e.getVM();
    for (unsigned long i = 0; i < vm; ++i) {
      OFCondition st;
      Value v;
      if (vr == "US") { Uint16 x = 0; st = e.getUint16(x, i); v.SetUint(x); }
      else if (vr == "SS") { Sint16 x = 0; st = e.getSint16(x, i); v.SetInt(x); }
      else if (vr == "UL") { Uint32 x = 0; st = e.getUint32(x, i); v.SetUint(x); }
      else if (vr == "SL") { Sint32 x = 0; st = e.getSint32(x, i); v.SetInt(x); }
      else if (vr == "UV") { Uint64 x = 0; st = e.getUint64(x, i); v.SetUint64(x); }
      else if (vr == "SV") { Sint64 x = 0; st = e.getSint64(x, i); v.SetInt64(x); }
      else {
        double x = 0;
        if (vr == "FL") { Float32 f = 0; st = e.getFloat32(f, i); x = f; }
        else { Float64 d = 0; st = e.getFloat64(d, i); x = d; }
        if (std::isfinite(x)) v.SetDouble(x);  // NaN and infinities have no JSON form: null
      }
      if (st.bad()) return unreadable(e);
      values.PushBack(v, a_);
    }
    return Result::kKeep;
  }

  Result unreadable(DcmElement& e) {
    error_ = "cannot read the value of " + tag_paren(make_tag(e.getGTag(), e.getETag()));
    return Result::kError;
  }

  std::string uri(const std::string& path) const {
    return options_.bulk_data_base.empty() ? path : options_.bulk_data_base + "/" + path;
  }

  const Instance::Impl& instance_;
  const JsonOptions& options_;
  json::Allocator& a_;
  std::string error_;
};

}  // namespace

bool to_dicom_json(const Instance& instance, const JsonOptions& options, json::Value& out,
                   json::Allocator& alloc, std::string* error) {
  Builder builder(instance.impl(), options, alloc);
  if (!builder.item(instance.impl().dataset(), TextDecoder(), "", out)) {
    if (error) *error = builder.error();
    out.SetObject();
    return false;
  }
  return true;
}

std::string to_dicom_json_text(const Instance& instance, const JsonOptions& options,
                               std::string* error) {
  json::Document doc;
  if (!to_dicom_json(instance, options, doc, doc.GetAllocator(), error)) return "";
  return json::to_string(doc);
}

}  // namespace healthd::dicom
