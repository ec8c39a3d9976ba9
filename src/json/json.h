// RapidJSON helpers shared by every module: parse, serialize, small accessors.
#pragma once

#include <rapidjson/document.h>
#include <rapidjson/stringbuffer.h>
#include <rapidjson/writer.h>

#include <optional>
#include <string>
#include <string_view>

namespace healthd::json {

using Value = rapidjson::Value;
using Document = rapidjson::Document;
using Allocator = rapidjson::Document::AllocatorType;

// Parses text into doc. On failure returns false and fills error with "reason at line L, column C".
bool parse(std::string_view text, Document& doc, std::string* error = nullptr);

std::string to_string(const Value& v, bool pretty = false);

// Re-indents compact JSON text (used for _pretty=true).
std::string pretty(std::string_view compact);

// Member accessors that tolerate missing members and wrong types.
std::optional<std::string_view> get_string(const Value& obj, const char* name);
const Value* get_member(const Value& obj, const char* name);

inline Value str(std::string_view s, Allocator& a) {
  return Value(s.data(), static_cast<rapidjson::SizeType>(s.size()), a);
}

}  // namespace healthd::json
