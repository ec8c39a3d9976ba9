#include "auth/issuer/replay_cache.h"

namespace healthd::auth::issuer {

bool ReplayCache::first_use(const std::string& id, int64_t expires_at, int64_t now) {
  std::lock_guard lock(mutex_);
  while (!by_expiry_.empty() && by_expiry_.top().first < now) {
    seen_.erase(by_expiry_.top().second);
    by_expiry_.pop();
  }
  if (!seen_.insert(id).second) return false;
  by_expiry_.emplace(expires_at, id);
  return true;
}

size_t ReplayCache::size() const {
  std::lock_guard lock(mutex_);
  return seen_.size();
}

}  // namespace healthd::auth::issuer
