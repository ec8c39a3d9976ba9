#include "auth/issuer/access_token.h"

#include "auth/issuer/scope_grant.h"
#include "json/json.h"

namespace healthd::auth::issuer {

std::string access_token_claims(const OAuthClient& client, const AccessTokenGrant& grant) {
  json::Document doc(rapidjson::kObjectType);
  auto& a = doc.GetAllocator();
  doc.AddMember("iss", json::str(grant.issuer, a), a);
  doc.AddMember("sub", json::str(client.id, a), a);
  for (const char* name : {"client_id", "azp", "appid", "oid"})
    doc.AddMember(json::Value(name, a), json::str(client.id, a), a);
  if (grant.audiences.size() == 1) {
    doc.AddMember("aud", json::str(grant.audiences.front(), a), a);
  } else if (!grant.audiences.empty()) {
    json::Value aud(rapidjson::kArrayType);
    for (const auto& s : grant.audiences) aud.PushBack(json::str(s, a), a);
    doc.AddMember("aud", aud, a);
  }
  doc.AddMember("iat", grant.issued_at, a);
  doc.AddMember("nbf", grant.issued_at, a);
  doc.AddMember("exp", grant.issued_at + grant.lifetime_s, a);
  doc.AddMember("jti", json::str(grant.jti, a), a);
  json::Value roles(rapidjson::kArrayType);
  for (const auto& r : client.roles) roles.PushBack(json::str(r, a), a);
  doc.AddMember("roles", roles, a);
  if (!grant.scopes.empty()) doc.AddMember("scp", json::str(join_scopes(grant.scopes), a), a);
  return json::to_string(doc);
}

}  // namespace healthd::auth::issuer
