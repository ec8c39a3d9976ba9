#include "medtech/message_split.h"

#include "json/json.h"

namespace healthd::medtech {

namespace {

bool blank(std::string_view s) { return s.find_first_not_of(" \t\r\n") == std::string_view::npos; }

void add_value(const json::Value& v, std::vector<std::string>& out) {
  if (v.IsArray()) {
    for (const auto& e : v.GetArray()) out.push_back(json::to_string(e));
  } else {
    out.push_back(json::to_string(v));
  }
}

}  // namespace

bool split_messages(std::string_view body, std::vector<std::string>& out, std::string& error) {
  if (blank(body)) {
    error = "the body holds no message";
    return false;
  }
  json::Document whole;
  std::string why;
  if (json::parse(body, whole, &why)) {
    add_value(whole, out);
  } else {
    // NDJSON: every non-empty line is one JSON value.
    size_t line_no = 0, pos = 0;
    bool any_line = false;
    while (pos <= body.size()) {
      size_t end = body.find('\n', pos);
      if (end == std::string_view::npos) end = body.size();
      std::string_view line = body.substr(pos, end - pos);
      ++line_no;
      pos = end + 1;
      if (blank(line)) continue;
      json::Document doc;
      std::string line_error;
      if (!json::parse(line, doc, &line_error)) {
        error = any_line || line_no > 1 ? "line " + std::to_string(line_no) + " is not JSON: " + line_error
                                        : "the body is neither JSON nor NDJSON: " + why;
        out.clear();
        return false;
      }
      any_line = true;
      add_value(doc, out);
    }
  }
  if (out.empty()) {
    error = "the body holds no message";
    return false;
  }
  return true;
}

}  // namespace healthd::medtech
