#include "auth/issuer/oauth_response.h"

#include "json/json.h"

namespace healthd::auth::issuer {

Response oauth_json_response(int status, std::string body) {
  Response r;
  r.status = status;
  r.headers.set("Content-Type", "application/json; charset=utf-8");
  r.headers.set("Cache-Control", "no-store");
  r.headers.set("Pragma", "no-cache");
  r.body = std::move(body);
  return r;
}

Response oauth_error(int status, std::string_view error, std::string_view description) {
  json::Document doc(rapidjson::kObjectType);
  auto& a = doc.GetAllocator();
  doc.AddMember("error", json::str(error, a), a);
  if (!description.empty()) doc.AddMember("error_description", json::str(description, a), a);
  return oauth_json_response(status, json::to_string(doc));
}

Response invalid_client(std::string_view description) {
  Response r = oauth_error(401, "invalid_client", description);
  r.headers.set("WWW-Authenticate", "Basic realm=\"healthd\", charset=\"UTF-8\"");
  return r;
}

}  // namespace healthd::auth::issuer
