// Shared helpers for reading template members while validating a mapping (internal).
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "json/json.h"
#include "medtech/json_source.h"

namespace healthd::medtech {

// Collects errors against one JsonSource; member reads report missing or mistyped members.
class FieldReader {
 public:
  explicit FieldReader(const JsonSource& src, std::vector<MappingError>& errors) : src_(src), errors_(errors) {}

  size_t error_count() const { return errors_.size(); }
  void error(const std::string& pointer, std::string message) { errors_.push_back(src_.error_at(pointer, std::move(message))); }

  // A string member; a missing member is an error only when required. Empty or blank strings
  // count as missing.
  std::optional<std::string> string(const json::Value& obj, const std::string& pointer, const char* name,
                                    bool required);
  // A number member (JSON number, or a string holding one).
  std::optional<double> number(const json::Value& obj, const std::string& pointer, const char* name, bool required);
  // A boolean member: true/false, or the strings "true"/"false" (any case).
  std::optional<bool> boolean(const json::Value& obj, const std::string& pointer, const char* name);

 private:
  const JsonSource& src_;
  std::vector<MappingError>& errors_;
};

// Template type names match without case, with or without a "Template" suffix.
bool template_type_is(std::string_view actual, std::string_view expected);

}  // namespace healthd::medtech
