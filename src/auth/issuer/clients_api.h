// Management API for the issuer's OAuth clients, below /management/clients:
//   GET    /management/clients        list
//   PUT    /management/clients/{id}   create (201) or replace (200); body {"properties": {
//          "secret", "roles", "scopes", "jwks" | "jwksUrl", "tokenLifetimeSeconds"}}
//   GET    /management/clients/{id}
//   DELETE /management/clients/{id}   204
// Answers never hold a secret or its hash ("hasSecret" tells whether there is one). A PUT
// without "secret" keeps the client's previous secret. Clients declared in the config are
// read-only here (409). Errors are OperationOutcomes. The caller checks the admin role.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "auth/issuer/client_registry.h"
#include "common/request.h"

namespace healthd::auth::issuer {

class ClientsApi {
 public:
  explicit ClientsApi(std::shared_ptr<ClientRegistry> registry);

  Response handle_clients_api(const Request& req, const std::vector<std::string>& segments_after_clients);

 private:
  Response list(const Request& req);
  Response one(const Request& req, const std::string& id);
  Response put(const Request& req, const std::string& id);

  std::shared_ptr<ClientRegistry> registry_;
};

}  // namespace healthd::auth::issuer
