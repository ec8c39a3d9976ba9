#include "medtech/template_expression.h"

#include <charconv>
#include <cmath>

namespace healthd::medtech {

std::optional<TemplateExpression> TemplateExpression::compile(std::string_view text, ExpressionLanguage language,
                                                              std::string* error) {
  TemplateExpression e{std::string(text), language};
  if (language == ExpressionLanguage::JsonPath) {
    ExpressionError err;
    auto p = JsonPath::parse(text, &err);
    if (!p) {
      if (error) *error = "invalid JSONPath expression '" + std::string(text) + "': " + err.message;
      return std::nullopt;
    }
    e.compiled_ = std::move(*p);
  } else {
    jmespath::Error err;
    auto p = jmespath::Expression::parse(text, &err);
    if (!p) {
      if (error) *error = "invalid JMESPath expression '" + std::string(text) + "': " + err.message;
      return std::nullopt;
    }
    e.compiled_ = std::move(*p);
  }
  return e;
}

bool TemplateExpression::select_all(const json::Value& root, std::vector<const json::Value*>& out,
                                    EvaluationStore& store, std::string* error) const {
  if (auto* p = std::get_if<JsonPath>(&compiled_)) {
    p->select(root, out);
    return true;
  }
  jmespath::Result r = std::get<jmespath::Expression>(compiled_).evaluate(root);
  if (!r.ok()) {
    if (error) *error = "expression '" + text_ + "' failed: " + r.error().message;
    return false;
  }
  const json::Value& v = r.value();
  if (v.IsArray()) {
    for (const auto& e : v.GetArray())
      if (!e.IsNull()) out.push_back(&e);
  } else if (!v.IsNull()) {
    out.push_back(&v);
  }
  store.push_back(std::move(r));
  return true;
}

bool TemplateExpression::select_one(const json::Value& root, const json::Value*& out, EvaluationStore& store,
                                    std::string* error) const {
  out = nullptr;
  if (auto* p = std::get_if<JsonPath>(&compiled_)) {
    std::vector<const json::Value*> nodes;
    p->select(root, nodes);
    if (nodes.size() > 1) {
      if (error) *error = "expression '" + text_ + "' selected " + std::to_string(nodes.size()) + " values, expected one";
      return false;
    }
    if (!nodes.empty() && !nodes[0]->IsNull()) out = nodes[0];
    return true;
  }
  jmespath::Result r = std::get<jmespath::Expression>(compiled_).evaluate(root);
  if (!r.ok()) {
    if (error) *error = "expression '" + text_ + "' failed: " + r.error().message;
    return false;
  }
  if (!r.value().IsNull()) out = &r.value();
  store.push_back(std::move(r));
  return true;
}

bool scalar_text(const json::Value& v, std::optional<std::string>& out) {
  out.reset();
  if (v.IsNull()) return true;
  if (v.IsString()) {
    out.emplace(v.GetString(), v.GetStringLength());
  } else if (v.IsBool()) {
    out = v.GetBool() ? "true" : "false";
  } else if (v.IsInt64()) {
    out = std::to_string(v.GetInt64());
  } else if (v.IsUint64()) {
    out = std::to_string(v.GetUint64());
  } else if (v.IsNumber()) {
    double d = v.GetDouble();
    char buf[64];
    if (std::trunc(d) == d && std::fabs(d) < 1e15) {
      out = std::to_string(static_cast<long long>(d));
    } else {
      auto res = std::to_chars(buf, buf + sizeof buf, d);
      out = std::string(buf, res.ptr);
    }
  } else {
    return false;
  }
  return true;
}

}  // namespace healthd::medtech
