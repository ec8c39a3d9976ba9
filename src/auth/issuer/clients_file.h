// <data>/clients.json: the API-managed OAuth clients, with their secret hashes.
// Written atomically (temp file, fsync, rename, fsync directory) with mode 0600.
#pragma once

#include <string>
#include <vector>

#include "auth/issuer/client.h"

namespace healthd::auth::issuer {

// The definitions in the file; empty when it does not exist. Throws std::runtime_error when
// it cannot be read or is damaged.
std::vector<ClientConfig> read_clients_file(const std::string& path);
// Throws std::runtime_error on I/O failure (the previous file is then left as it was).
void write_clients_file(const std::string& path, const std::vector<const OAuthClient*>& clients);

}  // namespace healthd::auth::issuer
