#include "auth/issuer/client_registry.h"

#include <filesystem>
#include <mutex>

#include "auth/issuer/clients_file.h"
#include "auth/issuer/secret_hash.h"

namespace healthd::auth::issuer {

ClientRegistry::ClientRegistry(std::string data_dir, const std::vector<ClientConfig>& config) {
  if (!data_dir.empty()) {
    std::filesystem::create_directories(data_dir);
    file_path_ = (std::filesystem::path(data_dir) / "clients.json").string();
  }
  std::map<std::string, std::shared_ptr<const OAuthClient>, std::less<>> declared;
  for (const auto& def : config) {
    if (declared.count(def.id)) throw InvalidClientDefinition("client '" + def.id + "' is declared twice");
    declared[def.id] = std::make_shared<const OAuthClient>(build_client(def, true));
  }
  if (!file_path_.empty()) {
    for (const auto& def : read_clients_file(file_path_)) {
      if (declared.count(def.id)) continue;  // the config wins
      try {
        clients_[def.id] = std::make_shared<const OAuthClient>(build_client(def, false));
      } catch (const InvalidClientDefinition& e) {
        throw std::runtime_error("clients file '" + file_path_ + "' is damaged: " + e.what());
      }
    }
  }
  for (auto& [id, c] : declared) clients_[id] = std::move(c);
}

std::shared_ptr<const OAuthClient> ClientRegistry::find(std::string_view id) const {
  std::shared_lock lock(mutex_);
  auto it = clients_.find(id);
  return it == clients_.end() ? nullptr : it->second;
}

std::vector<std::shared_ptr<const OAuthClient>> ClientRegistry::list() const {
  std::shared_lock lock(mutex_);
  std::vector<std::shared_ptr<const OAuthClient>> out;
  out.reserve(clients_.size());
  for (const auto& [id, c] : clients_) out.push_back(c);
  return out;
}

std::shared_ptr<const OAuthClient> ClientRegistry::authenticate_secret(std::string_view id,
                                                                       std::string_view secret) const {
  auto client = find(id);
  if (!client || !client->has_secret()) {
    verify_secret_dummy(secret);
    return nullptr;
  }
  if (verified_.contains(client->id, client->secret_hash, secret)) return client;
  if (!verify_secret(secret, client->secret_hash)) return nullptr;
  verified_.remember(client->id, client->secret_hash, secret);
  return client;
}

ClientRegistry::PutResult ClientRegistry::put(const ClientConfig& def) {
  // Validate (and hash, which is slow) outside the lock; the inherited hash is resolved after.
  const bool keeps_secret = def.secret.empty() && def.secret_hash.empty();
  auto built = build_client(def, false, keeps_secret);
  std::unique_lock lock(mutex_);
  auto it = clients_.find(def.id);
  if (it != clients_.end() && it->second->from_config) return {PutStatus::DeclaredInConfig, nullptr};
  if (keeps_secret) {
    if (it != clients_.end()) built.secret_hash = it->second->secret_hash;
    require_credential(built);
  }
  auto client = std::make_shared<const OAuthClient>(std::move(built));
  auto next = clients_;
  next[def.id] = client;
  persist_locked(next);
  bool created = it == clients_.end();
  clients_ = std::move(next);
  return {created ? PutStatus::Created : PutStatus::Updated, client};
}

ClientRegistry::RemoveStatus ClientRegistry::remove(std::string_view id) {
  std::unique_lock lock(mutex_);
  auto it = clients_.find(id);
  if (it == clients_.end()) return RemoveStatus::NotFound;
  if (it->second->from_config) return RemoveStatus::DeclaredInConfig;
  auto next = clients_;
  next.erase(std::string(id));
  persist_locked(next);
  clients_ = std::move(next);
  return RemoveStatus::Removed;
}

void ClientRegistry::persist_locked(
    const std::map<std::string, std::shared_ptr<const OAuthClient>, std::less<>>& clients) const {
  if (file_path_.empty()) return;
  std::vector<const OAuthClient*> managed;
  for (const auto& [id, c] : clients)
    if (!c->from_config) managed.push_back(c.get());
  write_clients_file(file_path_, managed);
}

}  // namespace healthd::auth::issuer
