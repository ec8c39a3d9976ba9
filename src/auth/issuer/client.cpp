#include "auth/issuer/client.h"

#include "auth/issuer/secret_hash.h"
#include "json/json.h"

namespace healthd::auth::issuer {

namespace {

[[noreturn]] void reject(const std::string& id, const std::string& why) {
  throw InvalidClientDefinition("client '" + id + "': " + why);
}

bool is_id_char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.';
}

// http:// is only accepted for the local machine (development); anything else must be https.
bool is_acceptable_jwks_url(std::string_view url) {
  if (url.starts_with("https://")) return url.size() > 8;
  for (std::string_view local : {"http://localhost", "http://127.0.0.1", "http://[::1]"}) {
    if (url.starts_with(local)) {
      std::string_view rest = url.substr(local.size());
      if (rest.empty() || rest[0] == ':' || rest[0] == '/') return true;
    }
  }
  return false;
}

// Parses and re-serializes the inline JWKS; every key needs a kid (assertions name theirs).
std::vector<Jwk> read_inline_jwks(const std::string& id, const std::string& text, std::string& compact) {
  json::Document doc;
  std::string why;
  if (!json::parse(text, doc, &why)) reject(id, "jwks is not valid JSON: " + why);
  const json::Value* keys = json::get_member(doc, "keys");
  if (!doc.IsObject() || !keys || !keys->IsArray()) reject(id, "jwks must be an object with a \"keys\" array");
  compact = json::to_string(doc);
  auto parsed = parse_jwks(compact, &why);
  if (!parsed) reject(id, "jwks: " + why);
  if (parsed->empty()) reject(id, "jwks holds no usable RSA or EC public key");
  for (const auto& k : *parsed) {
    if (k.kid.empty()) reject(id, "every key of jwks needs a \"kid\"");
    if (k.key && k.key->is_private()) reject(id, "jwks must hold public keys only");
  }
  return std::move(*parsed);
}

}  // namespace

bool is_valid_client_id(std::string_view id) {
  if (id.size() < 3 || id.size() > 64) return false;
  for (char c : id)
    if (!is_id_char(c)) return false;
  return true;
}

bool is_valid_scope_token(std::string_view scope) {
  if (scope.empty()) return false;
  for (unsigned char c : scope)
    if (c < 0x21 || c == 0x22 || c == 0x5C || c > 0x7E) return false;
  return true;
}

OAuthClient build_client(const ClientConfig& def, bool from_config, bool credential_checked_later) {
  const std::string& id = def.id;
  if (!is_valid_client_id(id))
    throw InvalidClientDefinition("client id '" + id + "' must be 3 to 64 characters of A-Z a-z 0-9 - _ .");
  OAuthClient c;
  c.id = id;
  c.from_config = from_config;

  if (!def.secret.empty() && !def.secret_hash.empty()) reject(id, "give either a secret or a secret hash, not both");
  if (!def.secret.empty()) {
    if (def.secret.size() < kMinSecretLength)
      reject(id, "the secret must be at least " + std::to_string(kMinSecretLength) + " characters long");
    if (def.secret.size() > 512) reject(id, "the secret must be at most 512 characters long");
    c.secret_hash = hash_secret(def.secret);
  } else if (!def.secret_hash.empty()) {
    if (!is_valid_secret_hash(def.secret_hash))
      reject(id, "the secret hash must look like pbkdf2-sha256$<iterations>=100000..$<salt>$<hash>");
    c.secret_hash = def.secret_hash;
  }

  for (const auto& role : def.roles)
    if (role.empty()) reject(id, "role names must not be empty");
  c.roles = def.roles;

  for (const auto& scope : def.scopes) {
    if (!is_valid_scope_token(scope)) reject(id, "'" + scope + "' is not a valid scope");
    bool seen = false;
    for (const auto& s : c.allowed_scopes) seen = seen || s == scope;
    if (!seen) c.allowed_scopes.push_back(scope);
  }

  if (!def.jwks_json.empty() && !def.jwks_url.empty()) reject(id, "give either jwks or jwksUrl, not both");
  if (!def.jwks_json.empty()) c.inline_keys = read_inline_jwks(id, def.jwks_json, c.jwks_json);
  if (!def.jwks_url.empty()) {
    if (!is_acceptable_jwks_url(def.jwks_url))
      reject(id, "jwksUrl must be an https:// URL (http:// only for localhost)");
    c.jwks_url = def.jwks_url;
  }

  if (def.token_lifetime_s < 0 || def.token_lifetime_s > kMaxTokenLifetimeSeconds)
    reject(id, "the token lifetime must be between 0 (default) and " + std::to_string(kMaxTokenLifetimeSeconds) +
                   " seconds");
  c.token_lifetime_s = def.token_lifetime_s;

  if (!credential_checked_later) require_credential(c);
  return c;
}

void require_credential(const OAuthClient& client) {
  if (!client.has_secret() && !client.has_keys()) reject(client.id, "a client needs a secret, jwks or jwksUrl");
}

}  // namespace healthd::auth::issuer
