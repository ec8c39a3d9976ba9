// Remembers client-assertion ids (jti) until the assertion expires, so none is used twice.
#pragma once

#include <cstdint>
#include <mutex>
#include <queue>
#include <string>
#include <unordered_set>
#include <utility>
#include <vector>

namespace healthd::auth::issuer {

class ReplayCache {
 public:
  // True (and remembered until expires_at) the first time `id` is seen; false for a replay.
  bool first_use(const std::string& id, int64_t expires_at, int64_t now);
  size_t size() const;

 private:
  using Entry = std::pair<int64_t, std::string>;  // expiry, id
  mutable std::mutex mutex_;
  std::unordered_set<std::string> seen_;
  std::priority_queue<Entry, std::vector<Entry>, std::greater<>> by_expiry_;
};

}  // namespace healthd::auth::issuer
