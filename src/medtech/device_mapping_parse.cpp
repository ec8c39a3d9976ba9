// Loading and validating a device mapping (CollectionContent).
#include <strings.h>

#include "medtech/device_mapping.h"
#include "medtech/json_source.h"
#include "medtech/template_fields.h"

namespace healthd::medtech {

const char* to_string(ContentKind kind) {
  switch (kind) {
    case ContentKind::Calculated: return "CalculatedContent";
    case ContentKind::JsonPath: return "JsonPathContent";
    case ContentKind::IotJsonPath: return "IotJsonPathContent";
    case ContentKind::IotCentralJsonPath: return "IotCentralJsonPathContent";
  }
  return "";
}

class DeviceMappingParser {
 public:
  DeviceMappingParser(const JsonSource& src, std::vector<MappingError>& errors) : fields_(src, errors) {}

  std::shared_ptr<DeviceMapping> parse_root(const json::Value& root) {
    if (!root.IsObject()) {
      fields_.error("", "a device mapping must be a JSON object");
      return nullptr;
    }
    auto type = fields_.string(root, "", "templateType", true);
    if (!type) return nullptr;
    if (!template_type_is(*type, "CollectionContent")) {
      fields_.error("/templateType", "expected templateType CollectionContent, found '" + *type + "'");
      return nullptr;
    }
    const json::Value* list = json::get_member(root, "template");
    if (!list || !list->IsArray()) {
      fields_.error(list ? "/template" : "", "expected an array for 'template' of CollectionContent");
      return nullptr;
    }
    auto mapping = std::make_shared<DeviceMapping>();
    for (rapidjson::SizeType i = 0; i < list->Size(); ++i) {
      if (auto t = parse_entry((*list)[i], pointer_append("/template", i), i)) mapping->templates_.push_back(std::move(*t));
    }
    return mapping;
  }

 private:
  std::optional<ContentTemplate> parse_entry(const json::Value& entry, const std::string& ptr, size_t index) {
    if (!entry.IsObject()) {
      fields_.error(ptr, "a template entry must be an object with templateType and template");
      return std::nullopt;
    }
    auto type = fields_.string(entry, ptr, "templateType", true);
    if (!type) return std::nullopt;
    ContentKind kind;
    if (template_type_is(*type, "CalculatedContent")) kind = ContentKind::Calculated;
    else if (template_type_is(*type, "JsonPathContent")) kind = ContentKind::JsonPath;
    else if (template_type_is(*type, "IotJsonPathContent")) kind = ContentKind::IotJsonPath;
    else if (template_type_is(*type, "IotCentralJsonPathContent")) kind = ContentKind::IotCentralJsonPath;
    else {
      fields_.error(pointer_append(ptr, "templateType"), "unknown template type '" + *type + "'");
      return std::nullopt;
    }
    const json::Value* body = json::get_member(entry, "template");
    std::string bptr = pointer_append(ptr, "template");
    if (!body || !body->IsObject()) {
      fields_.error(body ? bptr : ptr, std::string("expected an object for 'template' of ") + to_string(kind));
      return std::nullopt;
    }
    return parse_template(kind, *body, bptr, index);
  }

  std::optional<ContentTemplate> parse_template(ContentKind kind, const json::Value& t, const std::string& ptr,
                                                size_t index) {
    bool ok = true;
    language_ = ExpressionLanguage::JsonPath;
    if (kind == ContentKind::Calculated) {
      if (auto lang = fields_.string(t, ptr, "defaultExpressionLanguage", false)) {
        if (!language_named(*lang, language_)) {
          fields_.error(pointer_append(ptr, "defaultExpressionLanguage"),
                        "unknown expression language '" + *lang + "' (JsonPath or JmesPath)");
          ok = false;
        }
      }
    }
    ContentTemplate out{kind, index, "", placeholder(), {}, {}, {}, {}, {}, {}};
    auto type_name = fields_.string(t, ptr, "typeName", true);
    ok = ok && type_name;
    if (type_name) out.type_name = *type_name;

    auto match = expression(kind, t, ptr, "typeMatchExpression", true, ok);
    if (match) out.type_match = std::move(*match);

    bool own_ids = kind == ContentKind::Calculated || kind == ContentKind::JsonPath;
    if (own_ids) {
      if (auto e = expression(kind, t, ptr, "deviceIdExpression", true, ok)) out.device_id.push_back(std::move(*e));
      if (auto e = expression(kind, t, ptr, "timestampExpression", true, ok)) out.timestamp.push_back(std::move(*e));
    } else if (kind == ContentKind::IotJsonPath) {
      out.device_id.push_back(fixed("$.SystemProperties.iothub-connection-device-id"));
      out.timestamp.push_back(fixed("$.Properties.iothub-creation-time-utc"));
      out.timestamp.push_back(fixed("$.SystemProperties.iothub-enqueuedtime"));
    } else {
      out.device_id.push_back(fixed("$.deviceId"));
      out.timestamp.push_back(fixed("$.enqueuedTime"));
    }
    out.patient_id = expression(kind, t, ptr, "patientIdExpression", false, ok);
    out.encounter_id = expression(kind, t, ptr, "encounterIdExpression", false, ok);
    out.correlation_id = expression(kind, t, ptr, "correlationIdExpression", false, ok);

    if (const json::Value* values = json::get_member(t, "values"); values && !values->IsNull()) {
      std::string vptr = pointer_append(ptr, "values");
      if (!values->IsArray()) {
        fields_.error(vptr, "property 'values' must be an array");
        ok = false;
      } else {
        for (rapidjson::SizeType i = 0; i < values->Size(); ++i) {
          const json::Value& v = (*values)[i];
          std::string iptr = pointer_append(vptr, i);
          if (!v.IsObject()) {
            fields_.error(iptr, "a value must be an object with valueName and valueExpression");
            ok = false;
            continue;
          }
          auto name = fields_.string(v, iptr, "valueName", true);
          auto expr = expression(kind, v, iptr, "valueExpression", true, ok);
          auto required = fields_.boolean(v, iptr, "required");
          if (!name || !expr) {
            ok = false;
            continue;
          }
          out.values.push_back(ValueTemplate{*name, std::move(*expr), required.value_or(false)});
        }
      }
    }
    if (!ok || !match) return std::nullopt;
    return out;
  }

  static bool language_named(std::string_view s, ExpressionLanguage& out) {
    if (s.size() == 8 && strncasecmp(s.data(), "JsonPath", 8) == 0) out = ExpressionLanguage::JsonPath;
    else if (s.size() == 8 && strncasecmp(s.data(), "JmesPath", 8) == 0) out = ExpressionLanguage::JmesPath;
    else return false;
    return true;
  }

  // An expression member: a string in the template's default language, or (CalculatedContent)
  // {"value": "...", "language": "JsonPath" | "JmesPath"}. Sets ok to false on any error.
  std::optional<TemplateExpression> expression(ContentKind kind, const json::Value& obj, const std::string& ptr,
                                               const char* name, bool required, bool& ok) {
    const json::Value* v = json::get_member(obj, name);
    std::string here = pointer_append(ptr, name);
    ExpressionLanguage lang = language_;
    std::optional<std::string> text;
    if (v && v->IsObject()) {
      if (kind != ContentKind::Calculated) {
        fields_.error(here, std::string("property '") + name + "' must be a string in " + to_string(kind));
        ok = false;
        return std::nullopt;
      }
      text = fields_.string(*v, here, "value", true);
      if (auto l = fields_.string(*v, here, "language", false); l && !language_named(*l, lang)) {
        fields_.error(pointer_append(here, "language"), "unknown expression language '" + *l + "' (JsonPath or JmesPath)");
        ok = false;
        return std::nullopt;
      }
      if (!text) {
        ok = false;
        return std::nullopt;
      }
      here = pointer_append(here, "value");
    } else {
      size_t before = fields_.error_count();
      text = fields_.string(obj, ptr, name, required);
      if (fields_.error_count() != before) ok = false;
      if (!text) return std::nullopt;
    }
    std::string err;
    auto e = TemplateExpression::compile(*text, lang, &err);
    if (!e) {
      fields_.error(here, err);
      ok = false;
    }
    return e;
  }

  static TemplateExpression fixed(const char* path) {
    return *TemplateExpression::compile(path, ExpressionLanguage::JsonPath, nullptr);
  }
  static TemplateExpression placeholder() { return fixed("$"); }

  FieldReader fields_;
  ExpressionLanguage language_ = ExpressionLanguage::JsonPath;
};

DeviceMappingLoad DeviceMapping::parse(std::string_view text) {
  DeviceMappingLoad out;
  JsonSource src;
  MappingError syntax;
  if (!src.parse(text, &syntax)) {
    out.errors.push_back(std::move(syntax));
    return out;
  }
  DeviceMappingParser parser(src, out.errors);
  out.mapping = parser.parse_root(src.document());
  return out;
}

std::vector<std::string> DeviceMapping::templates_without_patient_id() const {
  std::vector<std::string> out;
  for (const auto& t : templates_)
    if (!t.patient_id)
      out.push_back("template " + std::to_string(t.index) + " (" + t.type_name + ") has no patientIdExpression");
  return out;
}

}  // namespace healthd::medtech
