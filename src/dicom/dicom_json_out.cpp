#include "dicom/dicom_json_out.h"

#include <charconv>

namespace healthd::dicom {

namespace {

json::Value element(const char* vr, json::Allocator& a) {
  json::Value e(rapidjson::kObjectType);
  e.AddMember("vr", json::str(vr, a), a);
  return e;
}

void add(json::Value& obj, Tag tag, json::Value& e, json::Allocator& a) {
  const std::string key = tag_hex(tag);
  if (obj.HasMember(key.c_str())) obj.RemoveMember(key.c_str());
  obj.AddMember(json::str(key, a), e, a);
}

}  // namespace

void put_string(json::Value& obj, Tag tag, const char* vr, std::string_view value, json::Allocator& a) {
  json::Value e = element(vr, a);
  if (!value.empty()) {
    json::Value values(rapidjson::kArrayType);
    values.PushBack(json::str(value, a), a);
    e.AddMember("Value", values, a);
  }
  add(obj, tag, e, a);
}

void put_numbers(json::Value& obj, Tag tag, const char* vr, const std::vector<int64_t>& numbers, json::Allocator& a) {
  json::Value e = element(vr, a);
  if (!numbers.empty()) {
    json::Value values(rapidjson::kArrayType);
    for (int64_t n : numbers) values.PushBack(json::Value(n), a);
    e.AddMember("Value", values, a);
  }
  add(obj, tag, e, a);
}

void put_sequence(json::Value& obj, Tag tag, json::Value& items, json::Allocator& a) {
  json::Value e = element("SQ", a);
  e.AddMember("Value", items, a);
  add(obj, tag, e, a);
}

void put_index_value(json::Value& obj, Tag tag, std::string_view vr, const std::optional<std::string>& value,
                     json::Allocator& a) {
  if (!value) return;
  const std::string vr_text(vr);
  json::Value e = element(vr_text.c_str(), a);
  if (!value->empty()) {
    json::Value values(rapidjson::kArrayType);
    std::string_view rest = *value;
    while (true) {
      const size_t sep = rest.find('\\');
      std::string_view one = rest.substr(0, sep);
      if (vr == "PN") {
        json::Value pn(rapidjson::kObjectType);
        static const char* kGroups[] = {"Alphabetic", "Ideographic", "Phonetic"};
        std::string_view groups = one;
        for (int g = 0; g < 3; ++g) {
          const size_t eq = groups.find('=');
          std::string_view part = groups.substr(0, eq);
          if (!part.empty()) pn.AddMember(rapidjson::StringRef(kGroups[g]), json::str(part, a), a);
          if (eq == std::string_view::npos) break;
          groups.remove_prefix(eq + 1);
        }
        values.PushBack(pn, a);
      } else if (vr == "IS" || vr == "US" || vr == "SS" || vr == "SL" || vr == "UL") {
        int64_t n = 0;
        auto r = std::from_chars(one.data(), one.data() + one.size(), n);
        if (r.ec != std::errc() || r.ptr != one.data() + one.size()) return;
        values.PushBack(json::Value(n), a);
      } else if (vr == "DS" || vr == "FD" || vr == "FL") {
        double d = 0;
        auto r = std::from_chars(one.data(), one.data() + one.size(), d);
        if (r.ec != std::errc() || r.ptr != one.data() + one.size()) return;
        values.PushBack(json::Value(d), a);
      } else {
        values.PushBack(json::str(one, a), a);
      }
      if (sep == std::string_view::npos) break;
      rest.remove_prefix(sep + 1);
    }
    e.AddMember("Value", values, a);
  }
  add(obj, tag, e, a);
}

}  // namespace healthd::dicom
