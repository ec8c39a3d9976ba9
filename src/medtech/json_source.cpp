#include "medtech/json_source.h"

#include <rapidjson/error/en.h>

#include "common/utf8.h"


namespace healthd::medtech {

namespace {

// Walks JSON text RapidJSON has already validated, recording where each value starts.
class LocationScanner {
 public:
  LocationScanner(const std::string& text, std::unordered_map<std::string, size_t>& out) : s_(text), out_(out) {}

  void scan() {
    ws();
    value("", 0);
  }

 private:
  void ws() {
    while (p_ < s_.size() && (s_[p_] == ' ' || s_[p_] == '\t' || s_[p_] == '\n' || s_[p_] == '\r')) ++p_;
  }

  unsigned hex4() {
    unsigned v = 0;
    for (int i = 0; i < 4 && p_ < s_.size(); ++i, ++p_) {
      char c = s_[p_];
      v = v * 16 + static_cast<unsigned>(c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10);
    }
    return v;
  }

  // The decoded string at p_ (on its opening quote); p_ ends after the closing quote.
  std::string string() {
    std::string out;
    ++p_;
    while (p_ < s_.size() && s_[p_] != '"') {
      if (s_[p_] != '\\') {
        out += s_[p_++];
        continue;
      }
      char e = s_[++p_];
      ++p_;
      switch (e) {
        case 'b': out += '\b'; break;
        case 'f': out += '\f'; break;
        case 'n': out += '\n'; break;
        case 'r': out += '\r'; break;
        case 't': out += '\t'; break;
        case 'u': {
          unsigned cp = hex4();
          if (cp >= 0xD800 && cp < 0xDC00 && p_ + 1 < s_.size() && s_[p_] == '\\') {
            p_ += 2;
            cp = 0x10000 + ((cp - 0xD800) << 10) + (hex4() - 0xDC00);
          }
          utf8::append(out, cp);
          break;
        }
        default: out += e;
      }
    }
    ++p_;
    return out;
  }

  void value(const std::string& pointer, int depth) {
    out_.emplace(pointer, p_);
    if (p_ >= s_.size() || depth > 512) return;
    char c = s_[p_];
    if (c == '{') {
      ++p_;
      ws();
      while (p_ < s_.size() && s_[p_] != '}') {
        std::string key = string();
        ws();
        ++p_;  // ':'
        ws();
        value(pointer_append(pointer, key), depth + 1);
        ws();
        if (p_ < s_.size() && s_[p_] == ',') ++p_;
        ws();
      }
      ++p_;
    } else if (c == '[') {
      ++p_;
      ws();
      size_t i = 0;
      while (p_ < s_.size() && s_[p_] != ']') {
        value(pointer_append(pointer, i++), depth + 1);
        ws();
        if (p_ < s_.size() && s_[p_] == ',') ++p_;
        ws();
      }
      ++p_;
    } else if (c == '"') {
      string();
    } else {
      while (p_ < s_.size() && s_[p_] != ',' && s_[p_] != '}' && s_[p_] != ']' && s_[p_] != ' ' && s_[p_] != '\t' &&
             s_[p_] != '\n' && s_[p_] != '\r')
        ++p_;
    }
  }

  const std::string& s_;
  std::unordered_map<std::string, size_t>& out_;
  size_t p_ = 0;
};

}  // namespace

std::string pointer_append(const std::string& pointer, std::string_view token) {
  std::string out = pointer;
  out += '/';
  for (char c : token) {
    if (c == '~') out += "~0";
    else if (c == '/') out += "~1";
    else out += c;
  }
  return out;
}

std::string pointer_append(const std::string& pointer, size_t index) {
  return pointer + "/" + std::to_string(index);
}

void JsonSource::locate(size_t offset, size_t& line, size_t& column) const {
  line = 1;
  column = 1;
  for (size_t i = 0; i < offset && i < text_.size(); ++i) {
    if (text_[i] == '\n') {
      ++line;
      column = 1;
    } else {
      ++column;
    }
  }
}

bool JsonSource::parse(std::string_view text, MappingError* error) {
  if (text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);
  text_.assign(text);
  offsets_.clear();
  doc_.Parse<rapidjson::kParseValidateEncodingFlag | rapidjson::kParseFullPrecisionFlag>(text_.data(), text_.size());
  if (doc_.HasParseError()) {
    if (error) {
      *error = MappingError{};
      locate(doc_.GetErrorOffset(), error->line, error->column);
      error->message = std::string("invalid JSON: ") + rapidjson::GetParseError_En(doc_.GetParseError());
    }
    return false;
  }
  LocationScanner(text_, offsets_).scan();
  return true;
}

MappingError JsonSource::error_at(const std::string& pointer, std::string message) const {
  MappingError e;
  e.path = pointer;
  e.message = std::move(message);
  std::string p = pointer;
  while (true) {
    auto it = offsets_.find(p);
    if (it != offsets_.end()) {
      locate(it->second, e.line, e.column);
      break;
    }
    if (p.empty()) break;
    p.erase(p.rfind('/'));
  }
  return e;
}

std::string to_string(const MappingError& e) {
  std::string out;
  if (e.line > 0) out = "line " + std::to_string(e.line) + ", column " + std::to_string(e.column);
  if (!e.path.empty()) out += (out.empty() ? "(" : " (") + e.path + ")";
  if (!out.empty()) out += ": ";
  return out + e.message;
}

}  // namespace healthd::medtech
