#include "fhir/definitions.h"

#include "common/file_io.h"

#include <rapidjson/document.h>
#include <rapidjson/error/en.h>

#include <algorithm>
#include <stdexcept>
#include <tuple>
#include <unordered_set>

namespace healthd::fhir {

namespace {

using rapidjson::Value;

constexpr std::string_view kFhirVersion = "4.0.1";
constexpr std::string_view kSystemPrefix = "http://hl7.org/fhirpath/System.";
constexpr std::string_view kFhirTypeExtension = "http://hl7.org/fhir/StructureDefinition/structuredefinition-fhir-type";

std::string_view sv(const Value& v) { return {v.GetString(), v.GetStringLength()}; }

std::string_view str_member(const Value& obj, const char* name) {
  auto it = obj.FindMember(name);
  return it != obj.MemberEnd() && it->value.IsString() ? sv(it->value) : std::string_view{};
}

bool bool_member(const Value& obj, const char* name) {
  auto it = obj.FindMember(name);
  return it != obj.MemberEnd() && it->value.IsBool() && it->value.GetBool();
}

std::string read_file(const std::string& path) {
  std::string text;
  if (!healthd::read_file(path, text)) throw std::runtime_error("FHIR definitions: cannot open " + path);
  return text;
}

// Parses a definitions Bundle in place (text must outlive doc).
void parse_bundle(const std::string& path, std::string& text, rapidjson::Document& doc) {
  text = read_file(path);
  doc.ParseInsitu(text.data());
  if (doc.HasParseError())
    throw std::runtime_error("FHIR definitions: " + path + " is not valid JSON: " +
                             rapidjson::GetParseError_En(doc.GetParseError()) + " at offset " +
                             std::to_string(doc.GetErrorOffset()));
  if (!doc.IsObject() || str_member(doc, "resourceType") != "Bundle" || !doc.HasMember("entry") ||
      !doc["entry"].IsArray())
    throw std::runtime_error("FHIR definitions: " + path + " is not a Bundle with entries");
}

// The FHIR type code of one ElementDefinition.type entry; System.* codes carry it in an extension.
std::string type_code(const Value& type) {
  std::string_view code = str_member(type, "code");
  if (code.substr(0, kSystemPrefix.size()) != kSystemPrefix) return std::string(code);
  if (auto ext = type.FindMember("extension"); ext != type.MemberEnd() && ext->value.IsArray()) {
    for (const auto& e : ext->value.GetArray())
      if (e.IsObject() && str_member(e, "url") == kFhirTypeExtension) return std::string(str_member(e, "valueUrl"));
  }
  std::string_view system = code.substr(kSystemPrefix.size());  // String, Boolean, ...
  std::string out(system);
  if (!out.empty()) out[0] = static_cast<char>(out[0] - 'A' + 'a');
  return out;
}

bool is_resource_id(const Value& element) {
  auto base = element.FindMember("base");
  return base != element.MemberEnd() && base->value.IsObject() && str_member(base->value, "path") == "Resource.id";
}

// ElementDefinition.max: "*" or a number.
uint32_t parse_max(std::string_view max, std::string_view path) {
  if (max == "*") return ElementModel::kUnbounded;
  uint32_t v = 0;
  for (char c : max) {
    if (c < '0' || c > '9' || v > 100000) throw std::runtime_error("FHIR definitions: bad max of " + std::string(path));
    v = v * 10 + static_cast<uint32_t>(c - '0');
  }
  if (max.empty()) throw std::runtime_error("FHIR definitions: no max for " + std::string(path));
  return v;
}

std::string capitalized(std::string_view s) {
  std::string out(s);
  if (!out.empty() && out[0] >= 'a' && out[0] <= 'z') out[0] = static_cast<char>(out[0] - 'a' + 'A');
  return out;
}

std::string_view parent_path(std::string_view path) {
  size_t dot = path.rfind('.');
  return dot == std::string_view::npos ? std::string_view{} : path.substr(0, dot);
}

// ElementDefinition.constraint, without ele-1 (the validator checks it itself).
std::vector<Constraint> constraints_of(const Value& element) {
  std::vector<Constraint> out;
  auto it = element.FindMember("constraint");
  if (it == element.MemberEnd() || !it->value.IsArray()) return out;
  for (const auto& c : it->value.GetArray()) {
    if (!c.IsObject()) continue;
    Constraint k;
    k.key = std::string(str_member(c, "key"));
    k.expression = std::string(str_member(c, "expression"));
    if (k.key.empty() || k.key == "ele-1" || k.expression.empty()) continue;
    k.error = str_member(c, "severity") != "warning";
    k.human = std::string(str_member(c, "human"));
    out.push_back(std::move(k));
  }
  return out;
}

// ElementDefinition.binding when required; nullptr otherwise.
std::shared_ptr<const RequiredBinding> required_binding_of(const Value& element) {
  auto it = element.FindMember("binding");
  if (it == element.MemberEnd() || !it->value.IsObject() || str_member(it->value, "strength") != "required")
    return nullptr;
  std::string_view vs = str_member(it->value, "valueSet");
  if (vs.empty()) return nullptr;
  auto b = std::make_shared<RequiredBinding>();
  b->value_set = std::string(vs.substr(0, vs.find('|')));
  return b;
}

}  // namespace

// Builds TypeModels from StructureDefinition snapshots, then links element types by name.
class DefinitionsBuilder {
 public:
  explicit DefinitionsBuilder(Definitions& defs) : defs_(defs) {}

  void add_structure_definition(const Value& sd, const std::string& file) {
    std::string_view name = str_member(sd, "name");
    std::string_view kind = str_member(sd, "kind");
    // Only official R4 types count; constraints (SimpleQuantity, MoneyQuantity) reuse their base's shape.
    if (str_member(sd, "fhirVersion") != kFhirVersion || str_member(sd, "derivation") == "constraint") return;
    if (kind != "resource" && kind != "complex-type") return;
    auto snap = sd.FindMember("snapshot");
    if (snap == sd.MemberEnd() || !snap->value.IsObject() || !snap->value.HasMember("element") ||
        !snap->value["element"].IsArray())
      throw std::runtime_error("FHIR definitions: " + file + ": StructureDefinition " + std::string(name) +
                               " has no snapshot");
    const Value& elements = snap->value["element"];

    // Paths that have child elements become their own (backbone) TypeModels.
    std::unordered_set<std::string_view> has_children;
    for (const auto& e : elements.GetArray()) has_children.insert(parent_path(str_member(e, "path")));

    bool is_resource = kind == "resource";
    for (const auto& e : elements.GetArray()) {
      std::string_view path = str_member(e, "path");
      note_constraint_keys(e);
      if (path.find('.') == std::string_view::npos) {
        new_model(std::string(path), is_resource)->constraints = constraints_of(e);
        continue;
      }
      add_element(e, path, has_children.count(path) > 0);
    }
    if (is_resource && !bool_member(sd, "abstract")) defs_.resource_types_.emplace_back(name);
  }

  // Resolves type names and contentReferences once every definition is in.
  void finish() {
    for (auto& [owner, position, target] : pending_) {
      ElementModel& element = owner->elements[position];
      auto it = defs_.by_name_.find(target);
      if (it == defs_.by_name_.end())
        throw std::runtime_error("FHIR definitions: " + owner->name + "." + element.json_name +
                                 " refers to unknown type '" + target + "'");
      element.type = it->second;
    }
    for (auto& model : defs_.models_) model->build_index();
    std::sort(defs_.resource_types_.begin(), defs_.resource_types_.end());
    for (const auto& t : defs_.resource_types_) defs_.resources_[t] = defs_.by_name_.at(t);
    auto el = defs_.by_name_.find("Element");
    if (el == defs_.by_name_.end()) throw std::runtime_error("FHIR definitions: the Element type is missing");
    defs_.element_ = el->second;
    if (defs_.resource_types_.empty()) throw std::runtime_error("FHIR definitions: no resource types found");
  }

 private:
  TypeModel* new_model(std::string name, bool is_resource) {
    auto m = std::make_unique<TypeModel>();
    m->name = std::move(name);
    m->is_resource = is_resource;
    TypeModel* raw = m.get();
    defs_.by_name_[raw->name] = raw;
    defs_.models_.push_back(std::move(m));
    return raw;
  }

  void add_element(const Value& e, std::string_view path, bool backbone) {
    std::string_view max = str_member(e, "max");
    if (max == "0") return;  // prohibited
    auto owner_it = defs_.by_name_.find(parent_path(path));
    if (owner_it == defs_.by_name_.end())
      throw std::runtime_error("FHIR definitions: element " + std::string(path) + " comes before its parent");
    TypeModel& owner = *owner_it->second;

    std::string_view name = path.substr(path.rfind('.') + 1);
    bool choice = name.size() > 3 && name.substr(name.size() - 3) == "[x]";
    std::string_view base = choice ? name.substr(0, name.size() - 3) : name;
    if (owner.slot_names.size() >= TypeModel::kMaxSlots)
      throw std::runtime_error("FHIR definitions: too many elements in " + owner.name);
    auto slot = static_cast<uint16_t>(owner.slot_names.size());
    owner.slot_names.emplace_back(name);
    uint32_t min = e.HasMember("min") && e["min"].IsUint() ? e["min"].GetUint() : 0;
    if (min > 0) owner.required_slots.push_back(slot);

    ElementModel proto;
    proto.binding = required_binding_of(e);
    if (!backbone) proto.constraints = constraints_of(e);
    proto.slot = slot;
    proto.min = min;
    proto.max = parse_max(max, path);
    proto.array = proto.max > 1;
    proto.choice = choice;
    if (auto s = e.FindMember("isSummary"); s != e.MemberEnd() && s->value.IsBool()) proto.is_summary = s->value.GetBool();

    if (std::string_view ref = str_member(e, "contentReference"); !ref.empty()) {
      proto.json_name = std::string(base);
      proto.type_code = "BackboneElement";
      pending_.emplace_back(&owner, insert(owner, std::move(proto)), std::string(ref.substr(ref[0] == '#' ? 1 : 0)));
      return;
    }
    auto types = e.FindMember("type");
    if (types == e.MemberEnd() || !types->value.IsArray() || types->value.Empty())
      throw std::runtime_error("FHIR definitions: element " + std::string(path) + " has no type");
    for (const auto& t : types->value.GetArray()) {
      ElementModel el = proto;
      el.type_code = type_code(t);
      // Resource.id is an id (json.html, fhir.schema.json), though its snapshot says System.String/string.
      if (base == "id" && is_resource_id(e)) el.type_code = "id";
      el.json_name = choice ? std::string(base) + capitalized(el.type_code) : std::string(base);
      if (backbone) {
        TypeModel* model = new_model(std::string(path), false);
        model->constraints = constraints_of(e);
        el.type = model;
        insert(owner, std::move(el));
      } else if (auto prim = primitive_kind(el.type_code)) {
        el.kind = ElementKind::Primitive;
        el.primitive = *prim;
        // Element and resource ids have no `_id`; xhtml (Narrative.div) takes no extensions.
        el.extensible = base != "id" && *prim != PrimitiveKind::Xhtml;
        insert(owner, std::move(el));
      } else if (el.type_code == "Resource" || is_resource_name(el.type_code)) {
        el.kind = ElementKind::Resource;
        insert(owner, std::move(el));
      } else {
        std::string target = el.type_code;
        pending_.emplace_back(&owner, insert(owner, std::move(el)), std::move(target));
      }
    }
  }

  void note_constraint_keys(const Value& e) {
    auto it = e.FindMember("constraint");
    if (it == e.MemberEnd() || !it->value.IsArray()) return;
    for (const auto& c : it->value.GetArray())
      if (c.IsObject()) defs_.base_constraint_keys_.emplace(str_member(c, "key"));
  }

  // Adds el to owner; returns its position.
  size_t insert(TypeModel& owner, ElementModel el) {
    for (const auto& existing : owner.elements)
      if (existing.json_name == el.json_name)
        throw std::runtime_error("FHIR definitions: duplicate element " + owner.name + "." + el.json_name);
    owner.elements.push_back(std::move(el));
    return owner.elements.size() - 1;
  }

  // Element types naming a specific resource (Bundle.entry.response.outcome: OperationOutcome).
  bool is_resource_name(const std::string& code) const {
    return resource_names_.count(code) > 0;
  }

 public:
  // Resource names are noted first, so element types like OperationOutcome are known before their definition.
  void add_resource_name(std::string_view name) { resource_names_.emplace(name); }

 private:
  std::unordered_set<std::string> resource_names_;
  Definitions& defs_;
  // Elements whose type is resolved by name in finish(): owner, position, type name.
  std::vector<std::tuple<TypeModel*, size_t, std::string>> pending_;
};

std::shared_ptr<const Definitions> Definitions::load(const std::string& dir) {
  std::shared_ptr<Definitions> defs(new Definitions());
  defs->dir_ = dir;
  DefinitionsBuilder builder(*defs);
  const std::string types_file = dir + "/profiles-types.json";
  const std::string resources_file = dir + "/profiles-resources.json";
  for (const std::string& file : {types_file, resources_file}) {
    std::string text;
    rapidjson::Document doc;
    parse_bundle(file, text, doc);
    const Value& entries = doc["entry"];
    auto is_sd = [](const Value& entry) {
      return entry.IsObject() && entry.HasMember("resource") && entry["resource"].IsObject() &&
             str_member(entry["resource"], "resourceType") == "StructureDefinition";
    };
    for (const auto& entry : entries.GetArray())
      if (is_sd(entry) && str_member(entry["resource"], "kind") == "resource")
        builder.add_resource_name(str_member(entry["resource"], "name"));
    for (const auto& entry : entries.GetArray())
      if (is_sd(entry)) builder.add_structure_definition(entry["resource"], file);
  }
  builder.finish();
  return defs;
}

const TypeModel* Definitions::resource(std::string_view type) const {
  auto it = resources_.find(type);
  return it == resources_.end() ? nullptr : it->second;
}

const TypeModel* Definitions::type(std::string_view name) const {
  auto it = by_name_.find(name);
  return it == by_name_.end() ? nullptr : it->second;
}

}  // namespace healthd::fhir
