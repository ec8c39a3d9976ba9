// One expression of a device mapping template, compiled once in the language it names (internal).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "json/json.h"
#include "medtech/jmespath.h"
#include "medtech/json_path.h"

namespace healthd::medtech {

enum class ExpressionLanguage { JsonPath, JmesPath };

// Keeps alive the values a JMESPath evaluation built; selected pointers may point into it.
using EvaluationStore = std::vector<jmespath::Result>;

class TemplateExpression {
 public:
  // nullopt when the text does not compile; error says why (the engine's message).
  static std::optional<TemplateExpression> compile(std::string_view text, ExpressionLanguage language,
                                                   std::string* error);

  // Every token the expression selects (typeMatchExpression). A JMESPath array result counts as
  // one match per element, null as none. False on an evaluation error (error says why).
  bool select_all(const json::Value& root, std::vector<const json::Value*>& out, EvaluationStore& store,
                  std::string* error) const;

  // The single token the expression selects, or nullptr when it selects nothing (JSON null
  // counts as nothing). False when it selects more than one token or evaluation fails.
  bool select_one(const json::Value& root, const json::Value*& out, EvaluationStore& store, std::string* error) const;

  const std::string& text() const { return text_; }
  ExpressionLanguage language() const { return language_; }

 private:
  TemplateExpression(std::string text, ExpressionLanguage language) : text_(std::move(text)), language_(language) {}

  std::string text_;
  ExpressionLanguage language_;
  std::variant<std::monostate, JsonPath, jmespath::Expression> compiled_;
};

// The text of a scalar measurement value: strings as they are, numbers as written by .NET
// (integers exactly, other doubles in shortest round-trip form, 1.0 as "1"), booleans
// "true"/"false". nullopt for null; false (error) for objects and arrays.
bool scalar_text(const json::Value& v, std::optional<std::string>& out);

}  // namespace healthd::medtech
