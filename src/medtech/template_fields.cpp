#include "medtech/template_fields.h"

#include <strings.h>

#include <cstdlib>

namespace healthd::medtech {

namespace {

bool blank(std::string_view s) {
  for (char c : s)
    if (c != ' ' && c != '\t' && c != '\n' && c != '\r') return false;
  return true;
}

bool iequals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && strncasecmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace

bool template_type_is(std::string_view actual, std::string_view expected) {
  if (iequals(actual, expected)) return true;
  constexpr std::string_view suffix = "Template";
  return actual.size() > suffix.size() && iequals(actual.substr(actual.size() - suffix.size()), suffix) &&
         iequals(actual.substr(0, actual.size() - suffix.size()), expected);
}

std::optional<std::string> FieldReader::string(const json::Value& obj, const std::string& pointer, const char* name,
                                               bool required) {
  const json::Value* v = json::get_member(obj, name);
  std::string here = pointer_append(pointer, name);
  if (!v || v->IsNull()) {
    if (required) error(pointer, std::string("required property '") + name + "' is missing");
    return std::nullopt;
  }
  if (!v->IsString()) {
    error(here, std::string("property '") + name + "' must be a string");
    return std::nullopt;
  }
  std::string s(v->GetString(), v->GetStringLength());
  if (blank(s)) {
    if (required) error(here, std::string("required property '") + name + "' is empty");
    return std::nullopt;
  }
  return s;
}

std::optional<double> FieldReader::number(const json::Value& obj, const std::string& pointer, const char* name,
                                          bool required) {
  const json::Value* v = json::get_member(obj, name);
  std::string here = pointer_append(pointer, name);
  if (!v || v->IsNull()) {
    if (required) error(pointer, std::string("required property '") + name + "' is missing");
    return std::nullopt;
  }
  if (v->IsNumber()) return v->GetDouble();
  if (v->IsString()) {
    char* end = nullptr;
    double d = std::strtod(v->GetString(), &end);
    if (v->GetStringLength() > 0 && end == v->GetString() + v->GetStringLength()) return d;
  }
  error(here, std::string("property '") + name + "' must be a number");
  return std::nullopt;
}

std::optional<bool> FieldReader::boolean(const json::Value& obj, const std::string& pointer, const char* name) {
  const json::Value* v = json::get_member(obj, name);
  if (!v || v->IsNull()) return std::nullopt;
  if (v->IsBool()) return v->GetBool();
  if (v->IsString()) {
    std::string_view s(v->GetString(), v->GetStringLength());
    if (iequals(s, "true")) return true;
    if (iequals(s, "false")) return false;
  }
  error(pointer_append(pointer, name), std::string("property '") + name + "' must be true or false");
  return std::nullopt;
}

}  // namespace healthd::medtech
