#include "fhir/subsetting.h"

#include <algorithm>

#include "fhir/service_impl.h"
#include "json/json.h"

namespace healthd::fhir {

namespace {

bool always_kept(std::string_view name) { return name == "resourceType" || name == "id" || name == "meta"; }

// The element a JSON property (or its `_name` sibling) stands for; nullptr when unknown.
const ElementModel* element_of(const TypeModel& model, std::string_view name) {
  if (name.starts_with("_")) name.remove_prefix(1);
  return model.find(name);
}

bool is_backbone(const ElementModel& el) {
  return el.kind == ElementKind::Complex && el.type != nullptr && el.type->name.find('.') != std::string::npos;
}

void copy_summary(const TypeModel& model, const json::Value& in, json::Value& out, json::Allocator& a, bool top);

json::Value summary_value(const ElementModel& el, const json::Value& v, json::Allocator& a) {
  if (!is_backbone(el)) return json::Value(v, a);
  auto one = [&](const json::Value& item) {
    if (!item.IsObject()) return json::Value(item, a);
    json::Value o(rapidjson::kObjectType);
    copy_summary(*el.type, item, o, a, false);
    return o;
  };
  if (!v.IsArray()) return one(v);
  json::Value arr(rapidjson::kArrayType);
  for (const auto& item : v.GetArray()) arr.PushBack(one(item), a);
  return arr;
}

// isSummary elements and mandatory ones, recursing into backbone elements (datatypes are kept whole).
void copy_summary(const TypeModel& model, const json::Value& in, json::Value& out, json::Allocator& a, bool top) {
  for (const auto& m : in.GetObject()) {
    std::string_view name(m.name.GetString(), m.name.GetStringLength());
    if (top && always_kept(name)) {
      out.AddMember(json::Value(m.name, a), json::Value(m.value, a), a);
      continue;
    }
    const ElementModel* el = element_of(model, name);
    if (el == nullptr || !(el->is_summary || el->min > 0)) continue;
    out.AddMember(json::Value(m.name, a), summary_value(*el, m.value, a), a);
  }
}

void add_subsetted_tag(json::Document& out) {
  auto& a = out.GetAllocator();
  if (!out.HasMember("meta") || !out["meta"].IsObject()) {
    out.RemoveMember("meta");
    out.AddMember("meta", json::Value(rapidjson::kObjectType), a);
  }
  json::Value& meta = out["meta"];
  if (!meta.HasMember("tag") || !meta["tag"].IsArray()) {
    meta.RemoveMember("tag");
    meta.AddMember("tag", json::Value(rapidjson::kArrayType), a);
  }
  json::Value tag(rapidjson::kObjectType);
  tag.AddMember("system", "http://terminology.hl7.org/CodeSystem/v3-ObservationValue", a);
  tag.AddMember("code", "SUBSETTED", a);
  tag.AddMember("display", "Resource encoded in summary mode", a);
  meta["tag"].PushBack(tag, a);
}

}  // namespace

std::optional<SummaryMode> parse_summary(std::string_view v) {
  if (v == "true") return SummaryMode::True;
  if (v == "false") return SummaryMode::False;
  if (v == "text") return SummaryMode::Text;
  if (v == "data") return SummaryMode::Data;
  if (v == "count") return SummaryMode::Count;
  return std::nullopt;
}

std::string subset_resource(const Definitions& defs, const std::string& json_text, const Subsetting& s) {
  if (!s.active()) return json_text;
  json::Document doc;
  if (!json::parse(json_text, doc) || !doc.IsObject()) return json_text;
  auto rt = json::get_string(doc, "resourceType");
  const TypeModel* model = rt ? defs.resource(*rt) : nullptr;
  json::Document out;
  out.SetObject();
  auto& a = out.GetAllocator();
  if (s.summary == SummaryMode::True && model != nullptr) {
    copy_summary(*model, doc, out, a, true);
  } else {
    for (auto& m : doc.GetObject()) {
      std::string_view name(m.name.GetString(), m.name.GetStringLength());
      bool keep = always_kept(name);
      if (!keep) {
        const ElementModel* el = model ? element_of(*model, name) : nullptr;
        switch (s.summary) {
          case SummaryMode::Text: keep = name == "text" || (el != nullptr && el->min > 0); break;
          case SummaryMode::Data: keep = name != "text"; break;
          default:
            keep = std::find(s.elements.begin(), s.elements.end(), name) != s.elements.end() ||
                   (name.starts_with("_") &&
                    std::find(s.elements.begin(), s.elements.end(), name.substr(1)) != s.elements.end());
            break;
        }
      }
      if (keep) out.AddMember(json::Value(m.name, a), json::Value(m.value, a), a);
    }
  }
  add_subsetted_tag(out);
  return json::to_string(out);
}

std::optional<Response> subset_read(const Definitions& defs, const Request& req, Response& r) {
  Subsetting s;
  bool asked = false;
  for (const auto& [name, value] : req.query) {
    if (name == "_summary") {
      auto mode = parse_summary(value);
      if (!mode || *mode == SummaryMode::Count)
        return error(400, "invalid", "_summary on a read must be true, text, data or false");
      s.summary = *mode;
      asked = true;
    } else if (name == "_elements") {
      for (size_t start = 0; start <= value.size();) {
        size_t comma = value.find(',', start);
        if (comma == std::string::npos) comma = value.size();
        std::string el = value.substr(start, comma - start);
        if (auto dot = el.find('.'); dot != std::string::npos) el = el.substr(dot + 1);  // Patient.name -> name
        if (!el.empty()) s.elements.push_back(el);
        start = comma + 1;
      }
      asked = true;
    }
  }
  if (!asked || r.status != 200 || !s.active()) return std::nullopt;
  set_json_body(req, r, subset_resource(defs, r.body, s));
  return std::nullopt;
}

}  // namespace healthd::fhir
