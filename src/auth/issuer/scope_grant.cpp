#include "auth/issuer/scope_grant.h"

#include <algorithm>

namespace healthd::auth::issuer {

std::vector<std::string> split_scopes(std::string_view text) {
  std::vector<std::string> out;
  size_t i = 0;
  while (i < text.size()) {
    if (text[i] == ' ') {
      ++i;
      continue;
    }
    size_t end = text.find(' ', i);
    if (end == std::string_view::npos) end = text.size();
    std::string s(text.substr(i, end - i));
    if (std::find(out.begin(), out.end(), s) == out.end()) out.push_back(std::move(s));
    i = end;
  }
  return out;
}

std::string join_scopes(const std::vector<std::string>& scopes) {
  std::string out;
  for (const auto& s : scopes) {
    if (!out.empty()) out += ' ';
    out += s;
  }
  return out;
}

std::optional<std::vector<std::string>> grant_scopes(const OAuthClient& client, std::string_view requested,
                                                     std::string* why) {
  std::vector<std::string> scopes = split_scopes(requested);
  if (scopes.empty()) return client.allowed_scopes;
  const auto& allowed = client.allowed_scopes;
  for (const auto& s : scopes) {
    if (!is_valid_scope_token(s)) {
      if (why) *why = "'" + s + "' is not a valid scope";
      return std::nullopt;
    }
    if (!allowed.empty() && std::find(allowed.begin(), allowed.end(), s) == allowed.end()) {
      if (why) *why = "the scope '" + s + "' is not allowed for this client";
      return std::nullopt;
    }
  }
  return scopes;
}

}  // namespace healthd::auth::issuer
