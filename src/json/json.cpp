#include "json/json.h"

#include <rapidjson/error/en.h>
#include <rapidjson/prettywriter.h>

namespace healthd::json {

bool parse(std::string_view text, Document& doc, std::string* error) {
  doc.Parse<rapidjson::kParseValidateEncodingFlag>(text.data(), text.size());
  if (!doc.HasParseError()) {
    return true;
  }
  if (error) {
    size_t off = doc.GetErrorOffset();
    size_t line = 1, col = 1;
    for (size_t i = 0; i < off && i < text.size(); ++i) {
      if (text[i] == '\n') {
        ++line;
        col = 1;
      } else {
        ++col;
      }
    }
    *error = std::string(rapidjson::GetParseError_En(doc.GetParseError())) + " at line " + std::to_string(line) +
             ", column " + std::to_string(col);
  }
  return false;
}

std::string to_string(const Value& v, bool pretty_print) {
  rapidjson::StringBuffer buf;
  if (pretty_print) {
    rapidjson::PrettyWriter<rapidjson::StringBuffer> w(buf);
    w.SetIndent(' ', 2);
    v.Accept(w);
  } else {
    rapidjson::Writer<rapidjson::StringBuffer> w(buf);
    v.Accept(w);
  }
  return std::string(buf.GetString(), buf.GetSize());
}

std::string pretty(std::string_view compact) {
  Document d;
  if (!parse(compact, d)) return std::string(compact);
  return to_string(d, true);
}

std::optional<std::string_view> get_string(const Value& obj, const char* name) {
  if (!obj.IsObject()) return std::nullopt;
  auto it = obj.FindMember(name);
  if (it == obj.MemberEnd() || !it->value.IsString()) return std::nullopt;
  return std::string_view(it->value.GetString(), it->value.GetStringLength());
}

const Value* get_member(const Value& obj, const char* name) {
  if (!obj.IsObject()) return nullptr;
  auto it = obj.FindMember(name);
  return it == obj.MemberEnd() ? nullptr : &it->value;
}

}  // namespace healthd::json
