// Loading and validating a FHIR destination mapping (CollectionFhir of CodeValueFhir).
#include <strings.h>

#include <cmath>

#include "medtech/fhir_mapping.h"
#include "medtech/json_source.h"
#include "medtech/template_fields.h"

namespace healthd::medtech {

bool CodeValueTemplate::sampled() const {
  if (value && value->kind != ValueKind::SampledData) return false;
  for (const auto& c : components)
    if (c.value.kind != ValueKind::SampledData) return false;
  return true;
}

const CodeValueTemplate* FhirMapping::find(std::string_view type_name) const {
  for (const auto& t : templates_)
    if (t.type_name == type_name) return &t;
  return nullptr;
}

class FhirMappingParser {
 public:
  FhirMappingParser(const JsonSource& src, std::vector<MappingError>& errors) : fields_(src, errors) {}

  std::shared_ptr<FhirMapping> parse_root(const json::Value& root) {
    if (!root.IsObject()) {
      fields_.error("", "a FHIR destination mapping must be a JSON object");
      return nullptr;
    }
    auto type = fields_.string(root, "", "templateType", true);
    if (!type) return nullptr;
    if (!template_type_is(*type, "CollectionFhir")) {
      fields_.error("/templateType", "expected templateType CollectionFhir, found '" + *type + "'");
      return nullptr;
    }
    const json::Value* list = json::get_member(root, "template");
    if (!list || !list->IsArray()) {
      fields_.error(list ? "/template" : "", "expected an array for 'template' of CollectionFhir");
      return nullptr;
    }
    auto mapping = std::make_shared<FhirMapping>();
    for (rapidjson::SizeType i = 0; i < list->Size(); ++i) {
      std::string ptr = pointer_append("/template", i);
      auto t = parse_entry((*list)[i], ptr);
      if (!t) continue;
      if (mapping->find(t->type_name)) {
        fields_.error(pointer_append(pointer_append(ptr, "template"), "typeName"),
                      "duplicate template for typeName '" + t->type_name + "'");
        continue;
      }
      mapping->templates_.push_back(std::move(*t));
    }
    return mapping;
  }

 private:
  std::optional<CodeValueTemplate> parse_entry(const json::Value& entry, const std::string& ptr) {
    if (!entry.IsObject()) {
      fields_.error(ptr, "a template entry must be an object with templateType and template");
      return std::nullopt;
    }
    auto type = fields_.string(entry, ptr, "templateType", true);
    if (!type) return std::nullopt;
    if (!template_type_is(*type, "CodeValueFhir")) {
      fields_.error(pointer_append(ptr, "templateType"), "unknown template type '" + *type + "'");
      return std::nullopt;
    }
    const json::Value* body = json::get_member(entry, "template");
    std::string bptr = pointer_append(ptr, "template");
    if (!body || !body->IsObject()) {
      fields_.error(body ? bptr : ptr, "expected an object for 'template' of CodeValueFhir");
      return std::nullopt;
    }
    return parse_template(*body, bptr);
  }

  std::optional<CodeValueTemplate> parse_template(const json::Value& t, const std::string& ptr) {
    size_t before = fields_.error_count();
    CodeValueTemplate out;
    if (auto name = fields_.string(t, ptr, "typeName", true)) out.type_name = *name;
    if (auto p = fields_.number(t, ptr, "periodInterval", false)) {
      if (*p == -1 || *p == 0 || *p == 60 || *p == 1440)
        out.period = static_cast<PeriodInterval>(static_cast<int>(*p));
      else
        fields_.error(pointer_append(ptr, "periodInterval"), "periodInterval must be -1, 0, 60 or 1440");
    }
    out.codes = codings(t, ptr, "codes", true);
    if (const json::Value* cats = array(t, ptr, "category")) {
      std::string cptr = pointer_append(ptr, "category");
      for (rapidjson::SizeType i = 0; i < cats->Size(); ++i) {
        const json::Value& c = (*cats)[i];
        std::string iptr = pointer_append(cptr, i);
        if (!c.IsObject()) {
          fields_.error(iptr, "a category must be an object with text and codes");
          continue;
        }
        Category cat;
        cat.text = fields_.string(c, iptr, "text", false).value_or("");
        cat.codes = codings(c, iptr, "codes", false);
        out.categories.push_back(std::move(cat));
      }
    }
    if (const json::Value* v = json::get_member(t, "value"); v && !v->IsNull())
      out.value = value_spec(*v, pointer_append(ptr, "value"));
    if (const json::Value* comps = array(t, ptr, "components")) {
      std::string cptr = pointer_append(ptr, "components");
      for (rapidjson::SizeType i = 0; i < comps->Size(); ++i) {
        const json::Value& c = (*comps)[i];
        std::string iptr = pointer_append(cptr, i);
        if (!c.IsObject()) {
          fields_.error(iptr, "a component must be an object with codes and value");
          continue;
        }
        ComponentSpec comp;
        comp.codes = codings(c, iptr, "codes", false);
        const json::Value* v = json::get_member(c, "value");
        if (!v || v->IsNull()) {
          fields_.error(iptr, "required property 'value' is missing");
          continue;
        }
        if (auto spec = value_spec(*v, pointer_append(iptr, "value"))) {
          comp.value = std::move(*spec);
          out.components.push_back(std::move(comp));
        }
      }
    }
    if (fields_.error_count() != before) return std::nullopt;
    return out;
  }

  const json::Value* array(const json::Value& obj, const std::string& ptr, const char* name) {
    const json::Value* v = json::get_member(obj, name);
    if (!v || v->IsNull()) return nullptr;
    if (!v->IsArray()) {
      fields_.error(pointer_append(ptr, name), std::string("property '") + name + "' must be an array");
      return nullptr;
    }
    return v;
  }

  std::vector<Coding> codings(const json::Value& obj, const std::string& ptr, const char* name, bool required) {
    std::vector<Coding> out;
    const json::Value* list = json::get_member(obj, name);
    if (!list || list->IsNull()) {
      if (required) fields_.error(ptr, std::string("required property '") + name + "' is missing");
      return out;
    }
    list = array(obj, ptr, name);
    if (!list) return out;
    std::string lptr = pointer_append(ptr, name);
    for (rapidjson::SizeType i = 0; i < list->Size(); ++i) {
      const json::Value& c = (*list)[i];
      std::string iptr = pointer_append(lptr, i);
      if (!c.IsObject()) {
        fields_.error(iptr, "a code must be an object with code, system and display");
        continue;
      }
      out.push_back(Coding{fields_.string(c, iptr, "code", false).value_or(""),
                           fields_.string(c, iptr, "system", false).value_or(""),
                           fields_.string(c, iptr, "display", false).value_or("")});
    }
    return out;
  }

  std::optional<ValueSpec> value_spec(const json::Value& v, const std::string& ptr) {
    if (!v.IsObject()) {
      fields_.error(ptr, "a value must be an object with valueName and valueType");
      return std::nullopt;
    }
    size_t before = fields_.error_count();
    ValueSpec out;
    out.value_name = fields_.string(v, ptr, "valueName", true).value_or("");
    auto type = fields_.string(v, ptr, "valueType", true);
    if (type) {
      auto is = [&](const char* n) { return strcasecmp(type->c_str(), n) == 0; };
      if (is("SampledData")) out.kind = ValueKind::SampledData;
      else if (is("Quantity")) out.kind = ValueKind::Quantity;
      else if (is("String")) out.kind = ValueKind::String;
      else if (is("CodeableConcept")) out.kind = ValueKind::CodeableConcept;
      else
        fields_.error(pointer_append(ptr, "valueType"),
                      "unknown valueType '" + *type + "' (SampledData, Quantity, String or CodeableConcept)");
    }
    if (type && out.kind == ValueKind::SampledData) {
      if (auto p = fields_.number(v, ptr, "defaultPeriod", true)) {
        if (*p > 0 && std::isfinite(*p)) out.default_period_ms = *p;
        else fields_.error(pointer_append(ptr, "defaultPeriod"), "defaultPeriod must be a positive number of milliseconds");
      }
    }
    out.unit = fields_.string(v, ptr, "unit", false).value_or("");
    out.code = fields_.string(v, ptr, "code", false).value_or("");
    out.system = fields_.string(v, ptr, "system", false).value_or("");
    out.text = fields_.string(v, ptr, "text", false).value_or("");
    if (out.kind == ValueKind::CodeableConcept) out.codes = codings(v, ptr, "codes", false);
    if (fields_.error_count() != before) return std::nullopt;
    return out;
  }

  FieldReader fields_;
};

FhirMappingLoad FhirMapping::parse(std::string_view text) {
  FhirMappingLoad out;
  JsonSource src;
  MappingError syntax;
  if (!src.parse(text, &syntax)) {
    out.errors.push_back(std::move(syntax));
    return out;
  }
  FhirMappingParser parser(src, out.errors);
  out.mapping = parser.parse_root(src.document());
  return out;
}

}  // namespace healthd::medtech
