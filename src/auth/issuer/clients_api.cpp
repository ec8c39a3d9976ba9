#include "auth/issuer/clients_api.h"

#include <exception>
#include <optional>

#include "common/outcome.h"
#include "json/json.h"

namespace healthd::auth::issuer {

namespace {

Response labelled(Response r, const std::string& route) {
  r.service = "management";
  r.route = route;
  return r;
}

Response json_response(int status, const json::Value& body) {
  Response r;
  r.status = status;
  r.headers.set("Content-Type", "application/json; charset=utf-8");
  r.headers.set("Cache-Control", "no-store");
  r.body = json::to_string(body);
  return r;
}

Response bad_request(std::string message, std::string expression = {}) {
  return outcome_response(400, "invalid", std::move(message), std::move(expression));
}

Response method_not_allowed(const Request& req, const char* allow) {
  Response r = outcome_response(
      405, "not-supported", "Method " + req.method + " is not allowed on " + req.path + " (allowed: " + allow + ")");
  r.headers.set("Allow", allow);
  return r;
}

// {"id": "/clients/x", "name": "x", "type": "clients", "properties": {...}}; no secret material.
json::Value client_json(const OAuthClient& c, json::Allocator& a) {
  json::Value o(rapidjson::kObjectType);
  o.AddMember("id", json::str("/clients/" + c.id, a), a);
  o.AddMember("name", json::str(c.id, a), a);
  o.AddMember("type", "clients", a);
  json::Value p(rapidjson::kObjectType);
  p.AddMember("hasSecret", c.has_secret(), a);
  json::Value roles(rapidjson::kArrayType);
  for (const auto& r : c.roles) roles.PushBack(json::str(r, a), a);
  p.AddMember("roles", roles, a);
  json::Value scopes(rapidjson::kArrayType);
  for (const auto& s : c.allowed_scopes) scopes.PushBack(json::str(s, a), a);
  p.AddMember("scopes", scopes, a);
  if (!c.jwks_json.empty()) {
    json::Document jwks;
    if (json::parse(c.jwks_json, jwks)) p.AddMember("jwks", json::Value(jwks, a), a);
  }
  if (!c.jwks_url.empty()) p.AddMember("jwksUrl", json::str(c.jwks_url, a), a);
  p.AddMember("tokenLifetimeSeconds", c.token_lifetime_s, a);
  p.AddMember("source", rapidjson::StringRef(c.from_config ? "config" : "api"), a);
  o.AddMember("properties", p, a);
  return o;
}

bool is_envelope_member(std::string_view name) {
  for (const char* m : {"id", "name", "type", "etag", "tags", "systemData"})
    if (name == m) return true;
  return false;
}

std::optional<std::vector<std::string>> strings(const json::Value& v) {
  if (!v.IsArray()) return std::nullopt;
  std::vector<std::string> out;
  for (const auto& s : v.GetArray()) {
    if (!s.IsString()) return std::nullopt;
    out.emplace_back(s.GetString(), s.GetStringLength());
  }
  return out;
}

// Reads the body's properties into def, or answers 400.
std::optional<Response> read_definition(const Request& req, ClientConfig& def) {
  json::Document doc;
  std::string why;
  if (!json::parse(req.body, doc, &why)) return bad_request("Request body is not valid JSON: " + why);
  if (!doc.IsObject()) return bad_request("Request body must be a JSON object");
  const json::Value* props = nullptr;
  for (const auto& m : doc.GetObject()) {
    std::string_view name(m.name.GetString(), m.name.GetStringLength());
    if (name == "properties")
      props = &m.value;
    else if (!is_envelope_member(name))
      return bad_request(std::string(name) + ": unknown member of the request body", std::string(name));
  }
  if (!props || !props->IsObject()) return bad_request("properties: an object is required", "properties");
  for (const auto& m : props->GetObject()) {
    std::string name(m.name.GetString(), m.name.GetStringLength());
    const json::Value& v = m.value;
    const std::string where = "properties." + name;
    if (name == "secret") {
      if (!v.IsString()) return bad_request(where + ": must be a string", where);
      def.secret.assign(v.GetString(), v.GetStringLength());
      if (def.secret.empty()) return bad_request(where + ": must not be empty", where);
    } else if (name == "roles") {
      auto list = strings(v);
      if (!list) return bad_request(where + ": must be an array of strings", where);
      def.roles.insert(list->begin(), list->end());
    } else if (name == "scopes") {
      auto list = strings(v);
      if (!list) return bad_request(where + ": must be an array of strings", where);
      def.scopes = std::move(*list);
    } else if (name == "jwks") {
      if (!v.IsObject()) return bad_request(where + ": must be a JWKS object {\"keys\": [...]}", where);
      def.jwks_json = json::to_string(v);
    } else if (name == "jwksUrl") {
      if (!v.IsString()) return bad_request(where + ": must be a string", where);
      def.jwks_url.assign(v.GetString(), v.GetStringLength());
    } else if (name == "tokenLifetimeSeconds") {
      if (!v.IsInt64()) return bad_request(where + ": must be an integer", where);
      def.token_lifetime_s = v.GetInt64();
    } else if (name == "hasSecret" || name == "source") {
      // read-only members of our own answers: accepted so a GET answer can be PUT back
    } else {
      return bad_request(where + ": unknown property of a client", where);
    }
  }
  return std::nullopt;
}

}  // namespace

ClientsApi::ClientsApi(std::shared_ptr<ClientRegistry> registry) : registry_(std::move(registry)) {}

Response ClientsApi::handle_clients_api(const Request& req, const std::vector<std::string>& seg) {
  try {
    if (seg.empty()) return labelled(list(req), "management.clients.list");
    const std::string route = "management.client." + std::string(req.method == "PUT"      ? "put"
                                                                 : req.method == "GET"    ? "get"
                                                                 : req.method == "DELETE" ? "delete"
                                                                                          : "other");
    if (seg.size() == 1) return labelled(one(req, seg[0]), route);
    return labelled(outcome_response(404, "not-found", "No management resource at " + req.path), "management.notfound");
  } catch (const std::exception& e) {
    return labelled(outcome_response(500, "exception", std::string("Management request failed: ") + e.what()),
                    "management.error");
  }
}

Response ClientsApi::list(const Request& req) {
  if (req.method != "GET") return method_not_allowed(req, "GET");
  json::Document doc(rapidjson::kObjectType);
  auto& a = doc.GetAllocator();
  json::Value arr(rapidjson::kArrayType);
  for (const auto& c : registry_->list()) arr.PushBack(client_json(*c, a), a);
  doc.AddMember("value", arr, a);
  return json_response(200, doc);
}

Response ClientsApi::one(const Request& req, const std::string& id) {
  if (req.method != "GET" && req.method != "PUT" && req.method != "DELETE")
    return method_not_allowed(req, "GET, PUT, DELETE");
  if (!is_valid_client_id(id))
    return bad_request("Client id '" + id + "' must be 3 to 64 characters of A-Z a-z 0-9 - _ .");
  if (req.method == "PUT") return put(req, id);
  if (req.method == "GET") {
    auto c = registry_->find(id);
    if (!c) return outcome_response(404, "not-found", "Client '" + id + "' not found");
    json::Document doc;
    return json_response(200, client_json(*c, doc.GetAllocator()));
  }
  switch (registry_->remove(id)) {
    case ClientRegistry::RemoveStatus::NotFound:
      return outcome_response(404, "not-found", "Client '" + id + "' not found");
    case ClientRegistry::RemoveStatus::DeclaredInConfig:
      return outcome_response(409, "conflict", "Client '" + id + "' is declared in the configuration file");
    case ClientRegistry::RemoveStatus::Removed:
      break;
  }
  Response r;
  r.status = 204;
  return r;
}

Response ClientsApi::put(const Request& req, const std::string& id) {
  ClientConfig def;
  def.id = id;
  if (auto error = read_definition(req, def)) return *error;
  ClientRegistry::PutResult result;
  try {
    result = registry_->put(def);
  } catch (const InvalidClientDefinition& e) {
    return bad_request(e.what());
  }
  if (result.status == ClientRegistry::PutStatus::DeclaredInConfig)
    return outcome_response(409, "conflict", "Client '" + id + "' is declared in the configuration file");
  json::Document doc;
  return json_response(result.status == ClientRegistry::PutStatus::Created ? 201 : 200,
                       client_json(*result.client, doc.GetAllocator()));
}

}  // namespace healthd::auth::issuer
