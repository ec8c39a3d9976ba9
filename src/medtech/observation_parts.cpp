#include "medtech/observation_parts.h"

#include <cmath>
#include <cerrno>
#include <cstdlib>

#include "medtech/sampled_data.h"
#include "medtech/timestamp.h"

namespace healthd::medtech {

namespace {

json::Value coding_json(const Coding& c, json::Allocator& a) {
  json::Value o(rapidjson::kObjectType);
  if (!c.system.empty()) o.AddMember("system", json::str(c.system, a), a);
  if (!c.code.empty()) o.AddMember("code", json::str(c.code, a), a);
  if (!c.display.empty()) o.AddMember("display", json::str(c.display, a), a);
  return o;
}

json::Value codings_json(const std::vector<Coding>& codes, json::Allocator& a) {
  json::Value list(rapidjson::kArrayType);
  for (const auto& c : codes) list.PushBack(coding_json(c, a), a);
  return list;
}

// A JSON number for a decimal text: an integer when it has no fraction or exponent.
json::Value number_json(const std::string& text) {
  bool integral = text.find_first_of(".eE") == std::string::npos;
  if (integral) {
    char* end = nullptr;
    errno = 0;
    long long v = std::strtoll(text.c_str(), &end, 10);
    if (errno == 0 && end == text.c_str() + text.size()) return json::Value(static_cast<int64_t>(v));
  }
  return json::Value(std::strtod(text.c_str(), nullptr));
}

json::Value period_json(double ms) {
  if (std::trunc(ms) == ms && std::fabs(ms) < 1e15) return json::Value(static_cast<int64_t>(ms));
  return json::Value(ms);
}

void fail(std::vector<PipelineError>& errors, const char* kind, std::string message, const std::string& type) {
  errors.push_back(PipelineError{"transform", kind, std::move(message), type, -1, -1});
}

}  // namespace

json::Value code_json(const std::string& name, const std::vector<Coding>& codes, const std::string& system,
                      json::Allocator& a) {
  json::Value o(rapidjson::kObjectType);
  json::Value list = codings_json(codes, a);
  list.PushBack(coding_json(Coding{name, system, name}, a), a);
  o.AddMember("coding", list, a);
  o.AddMember("text", json::str(name, a), a);
  return o;
}

json::Value categories_json(const std::vector<Category>& categories, json::Allocator& a) {
  json::Value list(rapidjson::kArrayType);
  for (const auto& c : categories) {
    json::Value o(rapidjson::kObjectType);
    if (!c.codes.empty()) o.AddMember("coding", codings_json(c.codes, a), a);
    if (!c.text.empty()) o.AddMember("text", json::str(c.text, a), a);
    list.PushBack(o, a);
  }
  return list;
}

const char* value_property(ValueKind kind) {
  switch (kind) {
    case ValueKind::SampledData: return "valueSampledData";
    case ValueKind::Quantity: return "valueQuantity";
    case ValueKind::String: return "valueString";
    case ValueKind::CodeableConcept: return "valueCodeableConcept";
  }
  return "";
}

void remove_values(json::Value& obj) {
  for (auto it = obj.MemberBegin(); it != obj.MemberEnd();) {
    std::string_view name(it->name.GetString(), it->name.GetStringLength());
    if (name.size() > 5 && name.substr(0, 5) == "value" && name[5] >= 'A' && name[5] <= 'Z') it = obj.EraseMember(it);
    else ++it;
  }
}

bool value_json(const ValueSpec& spec, const std::vector<TimedValue>& values, int64_t start_us, int64_t end_us,
                const std::string& type, json::Allocator& a, json::Value& out, std::vector<PipelineError>& errors) {
  out.SetObject();
  switch (spec.kind) {
    case ValueKind::SampledData: {
      std::vector<TimedValue> samples;
      for (const auto& v : values) {
        if (is_sample_value(v.value)) samples.push_back(v);
        else
          fail(errors, error_kind::kInvalidSample,
               "value '" + v.value + "' of '" + spec.value_name + "' at " + format_timestamp(v.time_us) +
                   " is not a number; left out of the SampledData",
               type);
      }
      auto data = build_sampled_data(samples, start_us, end_us, spec.default_period_ms);
      if (!data) {
        fail(errors, error_kind::kInvalidSample,
             "the window of '" + spec.value_name + "' needs more than " + std::to_string(kMaxSampledDataSlots) +
                 " samples of defaultPeriod",
             type);
        return false;
      }
      json::Value origin(rapidjson::kObjectType);
      origin.AddMember("value", 0, a);
      if (!spec.unit.empty()) origin.AddMember("unit", json::str(spec.unit, a), a);
      out.AddMember("origin", origin, a);
      out.AddMember("period", period_json(spec.default_period_ms), a);
      out.AddMember("dimensions", 1, a);
      out.AddMember("data", json::str(*data, a), a);
      return true;
    }
    case ValueKind::Quantity: {
      const std::string& text = values.back().value;
      char* end = nullptr;
      double d = std::strtod(text.c_str(), &end);
      if (text.empty() || end != text.c_str() + text.size() || !std::isfinite(d) || !is_sample_value(text)) {
        fail(errors, error_kind::kInvalidQuantity, "value '" + text + "' of '" + spec.value_name + "' is not a number",
             type);
        return false;
      }
      out.AddMember("value", number_json(text), a);
      if (!spec.unit.empty()) out.AddMember("unit", json::str(spec.unit, a), a);
      if (!spec.system.empty()) out.AddMember("system", json::str(spec.system, a), a);
      if (!spec.code.empty()) out.AddMember("code", json::str(spec.code, a), a);
      return true;
    }
    case ValueKind::String:
      out = json::str(values.back().value, a);
      return true;
    case ValueKind::CodeableConcept:
      if (!spec.codes.empty()) out.AddMember("coding", codings_json(spec.codes, a), a);
      if (!spec.text.empty()) out.AddMember("text", json::str(spec.text, a), a);
      return true;
  }
  return false;
}

bool effective_window(const json::Value& obs, int64_t& start_us, int64_t& end_us) {
  if (auto dt = json::get_string(obs, "effectiveDateTime")) {
    auto t = parse_timestamp(*dt);
    if (!t) return false;
    start_us = end_us = *t;
    return true;
  }
  const json::Value* p = json::get_member(obs, "effectivePeriod");
  if (!p) return false;
  auto s = json::get_string(*p, "start");
  auto e = json::get_string(*p, "end");
  auto st = s ? parse_timestamp(*s) : std::nullopt;
  auto et = e ? parse_timestamp(*e) : std::nullopt;
  if (!st && !et) return false;
  start_us = st ? *st : *et;
  end_us = et ? *et : *st;
  return true;
}

void set_effective(json::Value& obs, int64_t start_us, int64_t end_us, json::Allocator& a) {
  obs.RemoveMember("effectiveDateTime");
  obs.RemoveMember("effectivePeriod");
  obs.RemoveMember("effectiveInstant");
  if (start_us == end_us) {
    obs.AddMember("effectiveDateTime", json::str(format_timestamp(start_us), a), a);
  } else {
    json::Value p(rapidjson::kObjectType);
    p.AddMember("start", json::str(format_timestamp(start_us), a), a);
    p.AddMember("end", json::str(format_timestamp(end_us), a), a);
    obs.AddMember("effectivePeriod", p, a);
  }
}

}  // namespace healthd::medtech
