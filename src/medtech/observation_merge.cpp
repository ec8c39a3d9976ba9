// Merging new data into an Observation already stored under the same identifier.
#include <algorithm>

#include "medtech/json_compare.h"
#include "medtech/observation.h"
#include "medtech/observation_parts.h"
#include "medtech/sampled_data.h"

namespace healthd::medtech {

namespace {

struct Window {
  int64_t old_start, start, end;
};

// Merges one value (of the Observation or of a component) in place.
bool merge_value(const ValueSpec& spec, const ObservationGroup& g, const Window& w, const std::string& type,
                 json::Value& holder, json::Allocator& a, std::vector<PipelineError>& errors) {
  auto it = g.values.find(spec.value_name);
  const std::vector<TimedValue> none;
  const std::vector<TimedValue>& fresh = it == g.values.end() ? none : it->second;
  const char* prop = value_property(spec.kind);
  json::Value* existing = holder.HasMember(prop) ? &holder[prop] : nullptr;
  if (spec.kind != ValueKind::SampledData) {
    if (fresh.empty()) return true;
    json::Value v;
    if (!value_json(spec, fresh, w.start, w.end, type, a, v, errors)) return false;
    remove_values(holder);
    holder.AddMember(json::Value(prop, a), v, a);
    return true;
  }
  std::vector<TimedValue> old;
  if (existing && existing->IsObject()) {
    auto data = json::get_string(*existing, "data");
    const json::Value* period = json::get_member(*existing, "period");
    double ms = period && period->IsNumber() && period->GetDouble() > 0 ? period->GetDouble() : spec.default_period_ms;
    if (data) old = decode_sampled_data(*data, w.old_start, ms);
  }
  if (!existing && fresh.empty()) return true;
  json::Value v;
  if (!value_json(spec, merge_samples(old, fresh), w.start, w.end, type, a, v, errors)) return false;
  remove_values(holder);
  holder.AddMember(json::Value(prop, a), v, a);
  return true;
}

// The component whose code carries the MedTech coding of valueName.
json::Value* find_component(json::Value& obs, const std::string& value_name, const std::string& system) {
  json::Value* list = obs.HasMember("component") ? &obs["component"] : nullptr;
  if (!list || !list->IsArray()) return nullptr;
  for (auto& c : list->GetArray()) {
    const json::Value* code = json::get_member(c, "code");
    const json::Value* coding = code ? json::get_member(*code, "coding") : nullptr;
    if (!coding || !coding->IsArray()) continue;
    for (const auto& k : coding->GetArray())
      if (json::get_string(k, "system") == system && json::get_string(k, "code") == value_name) return &c;
  }
  return nullptr;
}

}  // namespace

bool merge_observation(const CodeValueTemplate& t, const ObservationGroup& g, json::Document& existing,
                       const ObservationOptions& options, std::vector<PipelineError>& errors) {
  auto& a = existing.GetAllocator();
  Window w{};
  int64_t old_end = 0;
  if (!existing.IsObject() || !effective_window(existing, w.old_start, old_end)) {
    errors.push_back(PipelineError{"transform", error_kind::kIncompatibleObservation,
                                   "the existing Observation has no effectiveDateTime or effectivePeriod", t.type_name,
                                   -1, -1});
    return false;
  }
  json::Document before;
  before.CopyFrom(existing, before.GetAllocator());
  w.start = std::min(w.old_start, g.start_us);
  w.end = std::max(old_end, g.end_us);
  set_effective(existing, w.start, w.end, a);
  existing.RemoveMember("category");
  if (!t.categories.empty()) existing.AddMember("category", categories_json(t.categories, a), a);

  bool ok = true;
  if (t.value) ok = merge_value(*t.value, g, w, t.type_name, existing, a, errors) && ok;
  for (const auto& c : t.components) {
    json::Value* comp = find_component(existing, c.value.value_name, options.system);
    if (comp) {
      ok = merge_value(c.value, g, w, t.type_name, *comp, a, errors) && ok;
      continue;
    }
    auto it = g.values.find(c.value.value_name);
    if (it == g.values.end() || it->second.empty()) continue;
    json::Value v;
    if (!value_json(c.value, it->second, w.start, w.end, t.type_name, a, v, errors)) {
      ok = false;
      continue;
    }
    json::Value nc(rapidjson::kObjectType);
    nc.AddMember("code", code_json(c.value.value_name, c.codes, options.system, a), a);
    nc.AddMember(json::Value(value_property(c.value.kind), a), v, a);
    if (!existing.HasMember("component")) existing.AddMember("component", json::Value(rapidjson::kArrayType), a);
    existing["component"].PushBack(nc, a);
  }
  if (!ok) {
    existing.CopyFrom(before, a);
    return false;
  }
  if (json_equal(before, existing)) {
    existing.CopyFrom(before, a);  // keep member order as stored
    return false;
  }
  if (existing.HasMember("status")) existing["status"].SetString("amended");
  else existing.AddMember("status", "amended", a);
  return true;
}

}  // namespace healthd::medtech
