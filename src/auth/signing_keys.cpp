#include "auth/signing_keys.h"

#include "common/file_io.h"

#include <fcntl.h>
#include <openssl/evp.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cctype>
#include <chrono>
#include <filesystem>
#include <mutex>
#include <optional>
#include <stdexcept>

#include "common/file_io.h"
#include "auth/openssl_key.h"

namespace fs = std::filesystem;

namespace healthd::auth {

struct SigningKeySet {
  struct Entry {
    std::string kid;
    std::shared_ptr<const Key> private_key;
    std::shared_ptr<const Key> public_key;
    int64_t created = 0;       // seconds since epoch
    int64_t retire_after = 0;  // 0: not scheduled for retirement
  };
  std::string current;
  std::vector<Entry> keys;

  const Entry* find(std::string_view kid) const {
    for (const auto& e : keys) {
      if (e.kid == kid) return &e;
    }
    return nullptr;
  }
};

namespace {

constexpr const char* kIndexFile = "keys.json";
constexpr const char* kLockFile = ".lock";

int64_t now_s() {
  return std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch()).count();
}

bool retired(const SigningKeySet::Entry& e, int64_t now) { return e.retire_after != 0 && e.retire_after <= now; }

[[noreturn]] void fail(const std::string& what) { throw std::runtime_error("signing keys: " + what); }

// An exclusive flock on <dir>/.lock for the lifetime of the object (other processes wait).
class DirectoryLock {
 public:
  explicit DirectoryLock(const std::string& dir) {
    fd_ = ::open((dir + "/" + kLockFile).c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd_ < 0 || ::flock(fd_, LOCK_EX) != 0) fail("cannot lock " + dir);
  }
  ~DirectoryLock() {
    if (fd_ >= 0) ::close(fd_);  // releases the lock
  }
  DirectoryLock(const DirectoryLock&) = delete;
  DirectoryLock& operator=(const DirectoryLock&) = delete;

 private:
  int fd_ = -1;
};

// Writes path atomically (temp file, fsync, rename) with mode 0600.
void write_private_file(const std::string& path, std::string_view content) {
  std::string tmp = path + ".tmp" + std::to_string(::getpid());
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
  if (fd < 0) fail("cannot write " + tmp);
  bool ok = ::fchmod(fd, 0600) == 0;
  for (size_t done = 0; ok && done < content.size();) {
    ssize_t n = ::write(fd, content.data() + done, content.size() - done);
    if (n <= 0) ok = false;
    else done += static_cast<size_t>(n);
  }
  ok = ok && ::fsync(fd) == 0;
  ok = (::close(fd) == 0) && ok;
  if (!ok || ::rename(tmp.c_str(), path.c_str()) != 0) {
    ::unlink(tmp.c_str());
    fail("cannot write " + path);
  }
}

std::string read_file(const std::string& path) {
  std::string text;
  if (!healthd::read_file(path, text)) fail("cannot read " + path);
  return text;
}

bool is_safe_kid(std::string_view kid) {
  if (kid.empty() || kid.size() > 64) return false;
  for (char c : kid) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_') return false;
  }
  return true;
}

std::string pem_path(const std::string& dir, const std::string& kid) { return dir + "/" + kid + ".pem"; }

SigningKeySet::Entry new_key(const std::string& dir) {
  SigningKeySet::Entry e;
  e.private_key = generate_rsa_key(2048);
  e.public_key = static_cast<const OpenSslKey&>(*e.private_key).public_only();
  e.kid = SigningKeys::key_id(*e.private_key);
  e.created = now_s();
  write_private_file(pem_path(dir, e.kid), e.private_key->to_pem());
  return e;
}

void write_index(const std::string& dir, const SigningKeySet& set) {
  json::Document d(rapidjson::kObjectType);
  auto& a = d.GetAllocator();
  d.AddMember("current", json::str(set.current, a), a);
  json::Value keys(rapidjson::kArrayType);
  for (const auto& e : set.keys) {
    json::Value k(rapidjson::kObjectType);
    k.AddMember("kid", json::str(e.kid, a), a);
    k.AddMember("created", e.created, a);
    k.AddMember("retire_after", e.retire_after, a);
    keys.PushBack(k, a);
  }
  d.AddMember("keys", keys, a);
  write_private_file(dir + "/" + kIndexFile, json::to_string(d, true));
}

SigningKeySet::Entry load_entry(const std::string& dir, const json::Value& item) {
  SigningKeySet::Entry e;
  e.kid = std::string(json::get_string(item, "kid").value_or(""));
  if (!is_safe_kid(e.kid)) fail("bad kid in " + std::string(kIndexFile));
  const json::Value* created = json::get_member(item, "created");
  const json::Value* retire = json::get_member(item, "retire_after");
  e.created = created && created->IsInt64() ? created->GetInt64() : 0;
  e.retire_after = retire && retire->IsInt64() ? retire->GetInt64() : 0;
  std::string error;
  e.private_key = key_from_pem(read_file(pem_path(dir, e.kid)), &error);
  if (!e.private_key || !e.private_key->is_private() || !e.private_key->is_rsa()) {
    fail("key " + e.kid + " is not an RSA private key" + (error.empty() ? "" : ": " + error));
  }
  if (SigningKeys::key_id(*e.private_key) != e.kid) fail("key file " + e.kid + ".pem does not match its kid");
  e.public_key = static_cast<const OpenSslKey&>(*e.private_key).public_only();
  return e;
}

// Reads the key set (caller holds the directory lock); retired keys are left out.
std::optional<SigningKeySet> read_set(const std::string& dir) {
  std::string index_path = dir + "/" + kIndexFile;
  if (!fs::exists(index_path)) return std::nullopt;
  json::Document doc;
  std::string error;
  if (!json::parse(read_file(index_path), doc, &error)) fail(index_path + ": " + error);
  const json::Value* keys = json::get_member(doc, "keys");
  if (!keys || !keys->IsArray()) fail(index_path + " has no keys array");
  SigningKeySet set;
  set.current = std::string(json::get_string(doc, "current").value_or(""));
  int64_t now = now_s();
  for (const auto& item : keys->GetArray()) {
    auto e = load_entry(dir, item);
    if (e.kid == set.current) e.retire_after = 0;  // the current key never retires
    if (!retired(e, now)) set.keys.push_back(std::move(e));
  }
  if (!set.find(set.current)) fail(index_path + " names no valid current key");
  return set;
}

// Loads the set, creating the first key when there is none (caller holds the directory lock).
SigningKeySet read_or_create_set(const std::string& dir) {
  if (auto set = read_set(dir)) return std::move(*set);
  SigningKeySet set;
  set.keys.push_back(new_key(dir));
  set.current = set.keys.back().kid;
  write_index(dir, set);
  return set;
}

}  // namespace

SigningKeys::SigningKeys(std::string keys_dir) : dir_(std::move(keys_dir)) {}
SigningKeys::~SigningKeys() = default;

std::shared_ptr<SigningKeys> SigningKeys::open(const std::string& data_dir) {
  std::string dir = (fs::path(data_dir) / "keys").string();
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) fail("cannot create " + dir + ": " + ec.message());
  fs::permissions(dir, fs::perms::owner_all, fs::perm_options::replace, ec);
  if (ec) fail("cannot restrict " + dir + ": " + ec.message());
  std::shared_ptr<SigningKeys> keys(new SigningKeys(dir));
  keys->reload();
  return keys;
}

void SigningKeys::reload() {
  SigningKeySet set;
  {
    DirectoryLock lock(dir_);
    set = read_or_create_set(dir_);
  }
  auto loaded = std::make_shared<const SigningKeySet>(std::move(set));
  std::unique_lock guard(mutex_);
  set_ = std::move(loaded);
}

void SigningKeys::rotate(int64_t retire_after_epoch_s) {
  DirectoryLock lock(dir_);
  SigningKeySet set = read_or_create_set(dir_);  // what is on disk now, maybe rotated by another process
  for (auto& e : set.keys) {
    if (e.kid == set.current) e.retire_after = retire_after_epoch_s;
  }
  set.keys.push_back(new_key(dir_));
  set.current = set.keys.back().kid;

  // Drop retired keys from the index and the disk.
  int64_t now = now_s();
  std::vector<SigningKeySet::Entry> kept;
  for (auto& e : set.keys) {
    if (retired(e, now)) {
      ::unlink(pem_path(dir_, e.kid).c_str());
    } else {
      kept.push_back(std::move(e));
    }
  }
  set.keys = std::move(kept);
  write_index(dir_, set);

  auto loaded = std::make_shared<const SigningKeySet>(std::move(set));
  std::unique_lock guard(mutex_);
  set_ = std::move(loaded);
}

std::shared_ptr<const SigningKeySet> SigningKeys::snapshot() const {
  std::shared_lock guard(mutex_);
  return set_;
}

std::string SigningKeys::sign(std::string_view claims_json) const {
  auto set = snapshot();
  const auto* current = set->find(set->current);
  return sign_jwt(claims_json, *current->private_key, JwtAlg::RS256, current->kid);
}

std::string SigningKeys::jwks_json() const {
  auto set = snapshot();
  int64_t now = now_s();
  std::string out = "{\"keys\":[";
  bool first = true;
  for (const auto& e : set->keys) {
    if (retired(e, now)) continue;
    if (!first) out += ',';
    out += e.public_key->public_jwk_json(e.kid, JwtAlg::RS256);
    first = false;
  }
  return out + "]}";
}

std::shared_ptr<const Key> SigningKeys::public_key(std::string_view kid) const {
  auto set = snapshot();
  const auto* e = set->find(kid);
  return e && !retired(*e, now_s()) ? e->public_key : nullptr;
}

std::string SigningKeys::current_kid() const { return snapshot()->current; }

std::string SigningKeys::key_id(const Key& key) {
  const auto* openssl_key = dynamic_cast<const OpenSslKey*>(&key);
  std::string der = openssl_key ? openssl_key->public_der() : "";
  unsigned char digest[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (der.empty() || EVP_Digest(der.data(), der.size(), digest, &len, EVP_sha256(), nullptr) != 1) {
    fail("cannot compute key id");
  }
  return base64url_encode(std::string_view(reinterpret_cast<const char*>(digest), 16));
}

}  // namespace healthd::auth
