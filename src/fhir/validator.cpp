#include "fhir/validator.h"

#include <bitset>
#include <string>
#include <string_view>

#include "fhir/validator_path.h"

namespace healthd::fhir {

namespace {

using rapidjson::Value;

std::string_view sv(const Value& v) { return {v.GetString(), v.GetStringLength()}; }

// 'text' for diagnostics, cut to a readable length.
std::string quoted(std::string_view s) {
  constexpr size_t kMax = 80;
  return s.size() <= kMax ? "'" + std::string(s) + "'" : "'" + std::string(s.substr(0, kMax)) + "...'";
}

// One validation run: walks the JSON against the type models and collects issues.
class Walk {
 public:
  Walk(const Definitions& defs, std::vector<Issue>& issues, ValidationHook* hook)
      : defs_(defs), issues_(issues), hook_(hook) {}

  // A resource anywhere: the root (at == nullptr), contained, Bundle.entry.resource, ...
  // `expected` is "Resource" or a specific type (Bundle.entry.response.outcome: OperationOutcome).
  void resource(const Value& v, const ValidatorPath* at, std::string_view expected, int depth) {
    ValidatorPath here = at ? *at : ValidatorPath{};
    auto rt = v.FindMember("resourceType");
    if (rt == v.MemberEnd()) return report("required", "The resource has no resourceType", here.str("resourceType"));
    if (!rt->value.IsString())
      return report("structure", "resourceType must be a string", here.str("resourceType"));
    std::string_view type = sv(rt->value);
    const TypeModel* model = defs_.resource(type);
    if (!model)
      return report("structure", "Unknown resourceType " + quoted(type) + ": not an R4 resource type",
                    here.str("resourceType"));
    if (expected != "Resource" && expected != type)
      return report("structure", "Expected a " + std::string(expected) + " resource, found " + quoted(type),
                    here.str("resourceType"));
    if (!at) here.name = model->name;  // the root expression starts with the type: Patient.name[0]
    ValidationHook::Scope outer = scope_;
    scope_.resource = &v;
    if (!scope_.root) scope_.root = &v;
    object(v, *model, here, depth);
    scope_ = outer;
  }

 private:
  void report(const char* code, std::string diagnostics, std::string expression) {
    if (issues_.size() >= Validator::kMaxIssues) return;
    Issue issue;
    issue.code = code;
    issue.diagnostics = std::move(diagnostics);
    issue.expression.push_back(std::move(expression));
    issues_.push_back(std::move(issue));
  }
  bool full() const { return issues_.size() >= Validator::kMaxIssues; }

  void object(const Value& v, const TypeModel& model, const ValidatorPath& at, int depth) {
    if (depth > Validator::kMaxDepth)
      return report("structure", "The resource is nested too deeply (over " +
                                     std::to_string(Validator::kMaxDepth) + " levels)",
                    at.str());
    if (v.MemberCount() == 0) return report("structure", "An object must not be empty", at.str());
    std::bitset<TypeModel::kMaxSlots> seen;         // definitions present (value or `_` sibling)
    std::bitset<TypeModel::kMaxSlots> seen_value;   // definitions with a value, to catch repeats and two choice types
    for (const auto& m : v.GetObject()) {
      std::string_view name = sv(m.name);
      if (full()) return;
      if (name.size() > 1 && name[0] == '_') {
        const ElementModel* el = model.find(name.substr(1));
        if (!el || !el->extensible) {
          unknown(name, model, at);
          continue;
        }
        seen.set(el->slot);
        primitive_extension(m.value, *el, v, at.child(name), depth);
        continue;
      }
      const ElementModel* el = model.find(name);
      if (!el) {
        if (!(model.is_resource && name == "resourceType")) unknown(name, model, at);
        continue;
      }
      if (seen_value.test(el->slot))
        report("structure",
               el->choice ? "Only one type of " + model.slot_names[el->slot] + " is allowed, found another: " + quoted(name)
                          : "The element " + quoted(name) + " appears more than once",
               at.str(name));
      seen_value.set(el->slot);
      seen.set(el->slot);
      element(m.value, *el, v, at.child(el->json_name), depth);
    }
    for (uint16_t slot : model.required_slots) {
      if (!seen.test(slot))
        report("required", "Missing required element " + quoted(model.slot_names[slot]) + " in " + model.name,
               at.str(model.slot_names[slot]));
    }
    if (hook_ && !full()) hook_->object(v, model, scope_, at, issues_);
  }

  void unknown(std::string_view name, const TypeModel& model, const ValidatorPath& at) {
    std::string why = "Unknown element " + quoted(name) + " in " + model.name;
    if (name == "resourceType") why = "resourceType is only allowed at the root of a resource";
    for (const auto& slot : model.slot_names) {
      std::string_view base(slot);
      if (base.size() <= 3 || base.substr(base.size() - 3) != "[x]") continue;
      base.remove_suffix(3);
      std::string_view n = name[0] == '_' ? name.substr(1) : name;
      if (n.size() > base.size() && n.substr(0, base.size()) == base && n[base.size()] >= 'A' &&
          n[base.size()] <= 'Z') {
        why = quoted(name) + " is not an allowed type for " + model.name + "." + slot;
        break;
      }
    }
    report("structure", std::move(why), at.str(name));
  }

  // The value of a known element: array or single, then each item.
  void element(const Value& v, const ElementModel& el, const Value& owner, const ValidatorPath& at, int depth) {
    if (!el.array) {
      if (v.IsArray()) return report("structure", quoted(el.json_name) + " must be a single value, not an array", at.str());
      if (v.IsNull()) return report("structure", quoted(el.json_name) + " must not be null", at.str());
      return item(v, el, at, depth);
    }
    if (!v.IsArray()) return report("structure", quoted(el.json_name) + " must be a JSON array", at.str());
    if (v.Empty()) return report("structure", quoted(el.json_name) + " must not be an empty array", at.str());
    for (rapidjson::SizeType i = 0; i < v.Size(); ++i) {
      if (full()) return;
      ValidatorPath at_i = at.item(static_cast<int>(i));
      if (v[i].IsNull()) {
        if (!(el.kind == ElementKind::Primitive && extension_at(owner, el.json_name, i)))
          report("structure", "null is only allowed in a primitive array when the _" + el.json_name +
                                  " item at the same index has a value",
                 at_i.str());
        continue;
      }
      item(v[i], el, at_i, depth);
    }
  }

  // True when owner["_name"][i] is a non-null item.
  static bool extension_at(const Value& owner, const std::string& name, rapidjson::SizeType i) {
    std::string key = "_" + name;
    auto it = owner.FindMember(key.c_str());
    return it != owner.MemberEnd() && it->value.IsArray() && i < it->value.Size() && !it->value[i].IsNull();
  }

  void item(const Value& v, const ElementModel& el, const ValidatorPath& at, int depth) {
    if (hook_ && (el.binding || !el.constraints.empty()) && !full()) hook_->value(v, el, scope_, at, issues_);
    switch (el.kind) {
      case ElementKind::Primitive: return primitive(v, el.primitive, at);
      case ElementKind::Complex:
        if (!v.IsObject())
          return report("structure", "Expected a JSON object (" + el.type_code + ") for " + quoted(el.json_name),
                        at.str());
        return object(v, *el.type, at, depth + 1);
      case ElementKind::Resource:
        if (!v.IsObject())
          return report("structure", "Expected a JSON object (a resource) for " + quoted(el.json_name), at.str());
        return resource(v, &at, el.type_code, depth + 1);
    }
  }

  void primitive(const Value& v, PrimitiveKind kind, const ValidatorPath& at) {
    std::string_view type = primitive_name(kind);
    switch (json_shape(kind)) {
      case JsonShape::Boolean:
        if (!v.IsBool()) report("structure", "A boolean must be JSON true or false", at.str());
        return;
      case JsonShape::Number:
        if (!v.IsNumber()) report("structure", "A decimal must be a JSON number, not a string", at.str());
        return;
      case JsonShape::Integer: {
        if (!v.IsNumber()) return report("structure", "An " + std::string(type) + " must be a JSON number", at.str());
        const char* why = nullptr;
        if (v.IsInt64()) why = check_integer_range(kind, v.GetInt64());
        else if (v.IsUint64()) why = "integer is outside the 32-bit range";
        else why = "must be a whole number without a fraction or exponent";
        if (why) report("value", "Invalid " + std::string(type) + ": " + why, at.str());
        return;
      }
      case JsonShape::String: {
        if (!v.IsString()) return report("structure", "A " + std::string(type) + " must be a JSON string", at.str());
        if (const char* why = check_string_format(kind, sv(v)))
          report("value", "Invalid " + std::string(type) + " " + quoted(sv(v)) + ": " + why, at.str());
        return;
      }
    }
  }

  // `_name`: {id, extension} for a single primitive; an array aligned with the values for a primitive array.
  void primitive_extension(const Value& v, const ElementModel& el, const Value& owner, const ValidatorPath& at,
                           int depth) {
    if (!el.array) {
      if (!v.IsObject()) return report("structure", "_" + el.json_name + " must be a JSON object (id, extension)", at.str());
      return object(v, defs_.element(), at, depth + 1);
    }
    if (!v.IsArray()) return report("structure", "_" + el.json_name + " must be a JSON array", at.str());
    if (v.Empty()) return report("structure", "_" + el.json_name + " must not be an empty array", at.str());
    auto values_it = owner.FindMember(el.json_name.c_str());
    const Value* values = values_it != owner.MemberEnd() && values_it->value.IsArray() ? &values_it->value : nullptr;
    if (values && values->Size() != v.Size())
      return report("structure",
                    "_" + el.json_name + " must have as many items as " + el.json_name + " (" +
                        std::to_string(values->Size()) + ")",
                    at.str());
    for (rapidjson::SizeType i = 0; i < v.Size(); ++i) {
      if (full()) return;
      ValidatorPath at_i = at.item(static_cast<int>(i));
      if (v[i].IsNull()) {
        // A null at the same index of both arrays is reported once, on the value side.
        if (!values)
          report("structure", "null in _" + el.json_name + " needs a value at the same index of " + el.json_name,
                 at_i.str());
        continue;
      }
      if (!v[i].IsObject()) {
        report("structure", "Items of _" + el.json_name + " must be JSON objects (id, extension) or null", at_i.str());
        continue;
      }
      object(v[i], defs_.element(), at_i, depth + 1);
    }
  }

  const Definitions& defs_;
  std::vector<Issue>& issues_;
  ValidationHook* hook_;
  ValidationHook::Scope scope_;
};

}  // namespace

Validator::Validator(std::shared_ptr<const Definitions> defs) : defs_(std::move(defs)) {}

std::vector<Issue> Validator::validate(const rapidjson::Value& resource, ValidationHook* hook) const {
  std::vector<Issue> issues;
  if (!resource.IsObject()) {
    Issue issue;
    issue.code = "structure";
    issue.diagnostics = "A resource must be a JSON object";
    issues.push_back(std::move(issue));
    return issues;
  }
  Walk(*defs_, issues, hook).resource(resource, nullptr, "Resource", 0);
  return issues;
}

}  // namespace healthd::fhir
