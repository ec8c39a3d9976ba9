#include "auth/issuer/clients_file.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <stdexcept>

#include "json/json.h"

namespace healthd::auth::issuer {

namespace {

[[noreturn]] void fail_io(const std::string& what, const std::string& path) {
  throw std::runtime_error(what + " '" + path + "': " + std::strerror(errno));
}

[[noreturn]] void damaged(const std::string& path, const std::string& why) {
  throw std::runtime_error("clients file '" + path + "' is damaged: " + why);
}

void write_all(int fd, const std::string& content, const std::string& path) {
  size_t done = 0;
  while (done < content.size()) {
    ssize_t n = ::write(fd, content.data() + done, content.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) fail_io("cannot write", path);
    done += static_cast<size_t>(n);
  }
}

void fsync_directory(const std::string& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) fail_io("cannot open", dir);
  int rc = ::fsync(fd);
  ::close(fd);
  if (rc != 0) fail_io("cannot fsync", dir);
}

std::string string_member(const std::string& path, const json::Value& o, const char* name) {
  const json::Value* v = json::get_member(o, name);
  if (!v) return {};
  if (!v->IsString()) damaged(path, std::string(name) + " must be a string");
  return std::string(v->GetString(), v->GetStringLength());
}

std::vector<std::string> string_array(const std::string& path, const json::Value& o, const char* name) {
  std::vector<std::string> out;
  const json::Value* v = json::get_member(o, name);
  if (!v) return out;
  if (!v->IsArray()) damaged(path, std::string(name) + " must be an array");
  for (const auto& s : v->GetArray()) {
    if (!s.IsString()) damaged(path, std::string(name) + " must hold strings");
    out.emplace_back(s.GetString(), s.GetStringLength());
  }
  return out;
}

}  // namespace

std::vector<ClientConfig> read_clients_file(const std::string& path) {
  std::vector<ClientConfig> out;
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    if (!std::filesystem::exists(path)) return out;
    throw std::runtime_error("cannot read clients file '" + path + "'");
  }
  std::stringstream buf;
  buf << in.rdbuf();
  json::Document doc;
  std::string why;
  if (!json::parse(buf.str(), doc, &why)) damaged(path, why);
  const json::Value* clients = json::get_member(doc, "clients");
  if (!clients || !clients->IsArray()) damaged(path, "no \"clients\" array");
  for (const auto& c : clients->GetArray()) {
    if (!c.IsObject()) damaged(path, "clients must hold objects");
    ClientConfig def;
    def.id = string_member(path, c, "id");
    def.secret_hash = string_member(path, c, "secretHash");
    for (auto& r : string_array(path, c, "roles")) def.roles.insert(std::move(r));
    def.scopes = string_array(path, c, "scopes");
    if (const json::Value* jwks = json::get_member(c, "jwks")) def.jwks_json = json::to_string(*jwks);
    def.jwks_url = string_member(path, c, "jwksUrl");
    if (const json::Value* life = json::get_member(c, "tokenLifetimeSeconds")) {
      if (!life->IsInt64()) damaged(path, "tokenLifetimeSeconds must be an integer");
      def.token_lifetime_s = life->GetInt64();
    }
    out.push_back(std::move(def));
  }
  return out;
}

void write_clients_file(const std::string& path, const std::vector<const OAuthClient*>& clients) {
  json::Document doc(rapidjson::kObjectType);
  auto& a = doc.GetAllocator();
  json::Value list(rapidjson::kArrayType);
  for (const OAuthClient* c : clients) {
    json::Value o(rapidjson::kObjectType);
    o.AddMember("id", json::str(c->id, a), a);
    if (c->has_secret()) o.AddMember("secretHash", json::str(c->secret_hash, a), a);
    json::Value roles(rapidjson::kArrayType);
    for (const auto& r : c->roles) roles.PushBack(json::str(r, a), a);
    o.AddMember("roles", roles, a);
    json::Value scopes(rapidjson::kArrayType);
    for (const auto& s : c->allowed_scopes) scopes.PushBack(json::str(s, a), a);
    o.AddMember("scopes", scopes, a);
    if (!c->jwks_json.empty()) {
      json::Document jwks;
      if (!json::parse(c->jwks_json, jwks)) throw std::logic_error("stored jwks is not JSON");
      o.AddMember("jwks", json::Value(jwks, a), a);
    }
    if (!c->jwks_url.empty()) o.AddMember("jwksUrl", json::str(c->jwks_url, a), a);
    if (c->token_lifetime_s != 0) o.AddMember("tokenLifetimeSeconds", c->token_lifetime_s, a);
    list.PushBack(o, a);
  }
  doc.AddMember("clients", list, a);
  const std::string content = json::to_string(doc, true) + "\n";

  const std::string tmp = path + ".tmp";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) fail_io("cannot create", tmp);
  try {
    if (::fchmod(fd, 0600) != 0) fail_io("cannot chmod", tmp);  // a pre-existing temp file keeps its mode
    write_all(fd, content, tmp);
    if (::fsync(fd) != 0) fail_io("cannot fsync", tmp);
  } catch (...) {
    ::close(fd);
    ::unlink(tmp.c_str());
    throw;
  }
  ::close(fd);
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    int saved = errno;
    ::unlink(tmp.c_str());
    errno = saved;
    fail_io("cannot rename to", path);
  }
  std::string dir = std::filesystem::path(path).parent_path().string();
  fsync_directory(dir.empty() ? "." : dir);
}

}  // namespace healthd::auth::issuer
