#include "dicom/media_type.h"

#include <cctype>
#include <cstdlib>

namespace healthd::dicom {

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// Splits on sep outside double quotes.
std::vector<std::string_view> split_unquoted(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  bool quoted = false;
  size_t start = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '"') quoted = !quoted;
    else if (s[i] == '\\' && quoted && i + 1 < s.size()) ++i;
    else if (s[i] == sep && !quoted) {
      out.push_back(s.substr(start, i - start));
      start = i + 1;
    }
  }
  out.push_back(s.substr(start));
  return out;
}

std::string unquote(std::string_view v) {
  v = trim(v);
  if (v.size() < 2 || v.front() != '"' || v.back() != '"') return std::string(v);
  std::string out;
  for (size_t i = 1; i + 1 < v.size(); ++i) {
    if (v[i] == '\\' && i + 2 < v.size()) ++i;
    out += v[i];
  }
  return out;
}

}  // namespace

std::optional<std::string_view> MediaType::param(std::string_view name) const {
  for (const auto& [k, v] : params)
    if (k == name) return std::string_view(v);
  return std::nullopt;
}

std::optional<MediaType> parse_media_type(std::string_view text) {
  auto pieces = split_unquoted(text, ';');
  MediaType m;
  m.type = lower(trim(pieces[0]));
  const size_t slash = m.type.find('/');
  if (slash == std::string::npos || slash == 0 || slash + 1 == m.type.size() ||
      m.type.find_first_of(" \t\"") != std::string::npos)
    return std::nullopt;
  for (size_t i = 1; i < pieces.size(); ++i) {
    std::string_view p = trim(pieces[i]);
    if (p.empty()) continue;
    const size_t eq = p.find('=');
    if (eq == std::string_view::npos) {
      m.params.emplace_back(lower(p), "");
      continue;
    }
    m.params.emplace_back(lower(trim(p.substr(0, eq))), unquote(p.substr(eq + 1)));
  }
  return m;
}

std::vector<MediaType> parse_accept(std::string_view text) {
  std::vector<MediaType> out;
  for (std::string_view range : split_unquoted(text, ',')) {
    if (trim(range).empty()) continue;
    auto m = parse_media_type(range);
    if (!m) continue;
    for (auto it = m->params.begin(); it != m->params.end(); ++it) {
      if (it->first == "q") {
        m->q = std::strtod(it->second.c_str(), nullptr);
        m->params.erase(it);
        break;
      }
    }
    out.push_back(std::move(*m));
  }
  return out;
}

}  // namespace healthd::dicom
