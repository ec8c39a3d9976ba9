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
#include "dicom/raw_dataset.h"

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

// The two element trees the builder reads: DCMTK's (an Instance) and the fast reader's
// (raw_dataset.h, STOW's uploads). Element values are read by the overloads of element_values.h
// and raw_dataset.h; these say how to walk each tree and where bulk values are.
struct DcmtkTree {
  using Item = DcmItem;
  using Element = DcmElement;
  const Instance::Impl& instance;

  // false as soon as fn does
  template <typename Fn>
  static bool each_element(DcmItem& item, Fn&& fn) {
    // nextInContainer walks the list; getElement(i) would seek from its start for every i.
    for (DcmObject* o = item.nextInContainer(nullptr); o; o = item.nextInContainer(o))
      if (auto* e = dynamic_cast<DcmElement*>(o); e && !fn(*e)) return false;
    return true;
  }
  static size_t item_count(DcmElement& seq) { return static_cast<DcmSequenceOfItems&>(seq).card(); }
  template <typename Fn>
  static bool each_item(DcmElement& seq, Fn&& fn) {
    auto& s = static_cast<DcmSequenceOfItems&>(seq);
    for (DcmObject* o = s.nextInContainer(nullptr); o; o = s.nextInContainer(o)) {
      auto* it = dynamic_cast<DcmItem*>(o);
      if (!it || !fn(*it)) return false;
    }
    return true;
  }
  uint64_t bulk_size(DcmElement& e) const { return detail::bulk_value_size(e, instance); }
  bool stream_bulk(DcmElement& e, const BulkSink& sink, std::string* error) const {
    return detail::stream_bulk_value(e, instance, sink, error);
  }
};

struct RawTree {
  using Item = const detail::RawItem;
  using Element = const detail::RawElement;

  template <typename Fn>
  static bool each_element(Item& item, Fn&& fn) {
    for (Element& e : item.elements)
      if (!fn(e)) return false;
    return true;
  }
  static size_t item_count(Element& seq) { return seq.items.size(); }
  template <typename Fn>
  static bool each_item(Element& seq, Fn&& fn) {
    for (Item& it : seq.items)
      if (!fn(it)) return false;
    return true;
  }
  // The value as stored; for encapsulated Pixel Data that is the fragments with their item
  // headers, as DCMTK's side streams them.
  static uint64_t bulk_size(Element& e) { return e.value.size(); }
  static bool stream_bulk(Element& e, const BulkSink& sink, std::string* error) {
    if (e.value.empty() || sink(e.value.data(), e.value.size())) return true;
    if (error) *error = "stopped";
    return false;
  }
};

// Emits the DICOM JSON as SAX events to a RapidJSON handler: a Writer (text, no tree built on
// the way) or a Document (a tree). Every string is passed with copy = true (they are temporaries).
template <typename Handler, typename Tree>
class Builder {
  using Item = typename Tree::Item;
  using Element = typename Tree::Element;

 public:
  Builder(const Tree& tree, const JsonOptions& options, Handler& out) : tree_(tree), options_(options), h_(out) {}

  bool item(Item& item, const TextDecoder& inherited, const std::string& prefix) {
    h_.StartObject();
    rapidjson::SizeType members = 0;  // a Document's EndObject needs the count
    TextDecoder text = detail::decoder_for(item, inherited);
    bool ok = Tree::each_element(item, [&](Element& e) {
      const Tag tag = detail::element_tag(e);
      if (tag_element(tag) == 0) return true;  // group lengths describe an encoding, not data
      return element(e, text, prefix, tag_hex(tag), members);
    });
    if (!ok) return false;
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
  bool element(Element& e, const TextDecoder& text, const std::string& prefix, const std::string& key,
               rapidjson::SizeType& written) {
    const std::string_view vr = detail::vr_name(e);
    const VrKind kind = detail::vr_kind(vr);
    const uint64_t length = detail::value_length(e);
    const bool bulk = kind != VrKind::kSequence && kind != VrKind::kBytes && options_.bulk_value_min > 0 &&
                      length > options_.bulk_value_min;
    const bool has_values = kind != VrKind::kSequence && kind != VrKind::kBytes && !bulk && length > 0;

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
      ok = sequence(e, text, prefix + key, members);
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

  bool sequence(Element& seq, const TextDecoder& text, const std::string& path, rapidjson::SizeType& members) {
    if (Tree::item_count(seq) == 0) return true;  // empty: no "Value" (PS3.18 F.2.5)
    key_("Value");
    h_.StartArray();
    rapidjson::SizeType k = 0;
    bool ok = Tree::each_item(seq, [&](Item& it) { return item(it, text, path + "/" + std::to_string(k++) + "/"); });
    if (!ok) return false;
    h_.EndArray(k);
    ++members;
    return true;
  }

  bool bytes(Element& e, const std::string& path, rapidjson::SizeType& members) {
    uint64_t size = tree_.bulk_size(e);
    if (size == 0) return true;
    if (options_.inline_binary_max > 0 && size <= options_.inline_binary_max) {
      std::string data;
      data.reserve(size);
      auto sink = [&](const char* d, size_t n) { data.append(d, n); return true; };
      if (!tree_.stream_bulk(e, sink, &error_)) return false;
      key_("InlineBinary");
      string(detail::base64_encode(data));
    } else {
      key_("BulkDataURI");
      string(uri(path));
    }
    ++members;
    return true;
  }

  bool person_names(Element& e, const TextDecoder& text, rapidjson::SizeType& members) {
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

  bool texts(Element& e, const TextDecoder& text, rapidjson::SizeType& members) {
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

  bool binary_numbers(Element& e, std::string_view vr, rapidjson::SizeType& members) {
    if (!detail::read_binary_numbers(e, vr, binary_)) return unreadable(e);
    if (binary_.empty()) return true;
    key_("Value");
    h_.StartArray();
    for (const detail::BinaryNumber& n : binary_) {
      if (vr == "US" || vr == "UL") h_.Uint(static_cast<unsigned>(n.u));
      else if (vr == "UV") h_.Uint64(n.u);
      else if (vr == "SS" || vr == "SL") h_.Int(static_cast<int>(n.i));
      else if (vr == "SV") h_.Int64(n.i);
      else if (std::isfinite(n.d)) h_.Double(n.d);
      else h_.Null();  // NaN and infinities have no JSON form
    }
    h_.EndArray(static_cast<rapidjson::SizeType>(binary_.size()));
    ++members;
    return true;
  }

  bool unreadable(Element& e) {
    error_ = "cannot read the value of " + tag_paren(detail::element_tag(e));
    return false;
  }

  void key_(std::string_view k) { h_.Key(k.data(), static_cast<rapidjson::SizeType>(k.size()), true); }
  void string(std::string_view v) { h_.String(v.data(), static_cast<rapidjson::SizeType>(v.size()), true); }

  std::string uri(const std::string& path) const {
    return options_.bulk_data_base.empty() ? path : options_.bulk_data_base + "/" + path;
  }

  const Tree& tree_;
  const JsonOptions& options_;
  Handler& h_;
  std::string error_;
  // Reused by every element (an element's values are written before the next one is read).
  detail::TextValues values_;
  std::vector<NumberText> numbers_;
  std::vector<detail::BinaryNumber> binary_;
};

}  // namespace

bool to_dicom_json(const Instance& instance, const JsonOptions& options, json::Value& out,
                   json::Allocator& alloc, std::string* error) {
  json::Document doc(&alloc);  // builds with the caller's allocator, so out may take the tree
  bool ok = false;
  auto generate = [&](json::Document& handler) {
    const DcmtkTree tree{instance.impl()};
    Builder<json::Document, DcmtkTree> builder(tree, options, handler);
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

namespace {

template <typename Tree>
std::string json_text(const Tree& tree, typename Tree::Item& root, const JsonOptions& options, std::string* error) {
  // One buffer per thread, kept between instances: room for a typical instance's JSON from the
  // start (growing by half from 256 bytes copies it a dozen times), allocated once, not 64 KB
  // of fresh pages per instance.
  constexpr size_t kInitialCapacity = 64 * 1024;
  thread_local rapidjson::StringBuffer buffer(nullptr, kInitialCapacity);
  buffer.Clear();
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  Builder<rapidjson::Writer<rapidjson::StringBuffer>, Tree> builder(tree, options, writer);
  if (!builder.item(root, TextDecoder(), "")) {
    if (error) *error = builder.error();
    return "";
  }
  std::string text(buffer.GetString(), buffer.GetSize());
  if (text.size() > (1u << 20)) {  // a big instance's room is not kept by every worker thread
    buffer.Clear();
    buffer.ShrinkToFit();
  }
  return text;
}

}  // namespace

std::string to_dicom_json_text(const Instance& instance, const JsonOptions& options, std::string* error) {
  const DcmtkTree tree{instance.impl()};
  return json_text(tree, instance.impl().dataset(), options, error);
}

std::string to_dicom_json_text(const detail::RawDataset& dataset, const JsonOptions& options, std::string* error) {
  const RawTree tree;
  return json_text(tree, dataset.root(), options, error);
}

}  // namespace healthd::dicom
