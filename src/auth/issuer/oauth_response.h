// Token endpoint answers: JSON with Cache-Control: no-store, and RFC 6749 §5.2 errors.
#pragma once

#include <string>
#include <string_view>

#include "common/request.h"

namespace healthd::auth::issuer {

Response oauth_json_response(int status, std::string body);
// {"error": error, "error_description": description}
Response oauth_error(int status, std::string_view error, std::string_view description);
// 401 invalid_client with `WWW-Authenticate: Basic` (the scheme this endpoint supports).
Response invalid_client(std::string_view description);

}  // namespace healthd::auth::issuer
