// Which scopes a client gets: each requested scope must be one of the client's allowed scopes
// (exact match; a client with no allowed list may request any). Nothing requested: the whole
// allowed list.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "auth/issuer/client.h"

namespace healthd::auth::issuer {

// Splits a space-separated scope parameter, dropping repeats (order kept).
std::vector<std::string> split_scopes(std::string_view text);
std::string join_scopes(const std::vector<std::string>& scopes);

// The granted scopes, or nullopt with *why set (an invalid_scope answer).
std::optional<std::vector<std::string>> grant_scopes(const OAuthClient& client, std::string_view requested,
                                                     std::string* why);

}  // namespace healthd::auth::issuer
