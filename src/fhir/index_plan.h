// Which search parameters of a resource type store index rows of their own: the ones `indexed`
// admits, less the unions whose parts' rows stand for them (row_sources). Every write of a type
// asks; the answer depends only on the registry snapshot, so it is worked out once per type and
// snapshot and shared by the request threads.
#pragma once

#include <memory>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <vector>

namespace healthd::search {
class SearchParameterRegistry;
struct SearchParam;
}  // namespace healthd::search

namespace healthd::fhir {

class IndexPlans {
 public:
  using Params = std::vector<const search::SearchParam*>;

  // The parameters of `type` to extract on a write under the snapshot `params` (in for_type
  // order). The pointers stay valid while the caller holds `params`.
  std::shared_ptr<const Params> of(const std::shared_ptr<const search::SearchParameterRegistry>& params,
                                   const std::string& type) const;

 private:
  mutable std::shared_mutex mu_;
  // The snapshot the plans were made for (held, so its address is never another's); a new
  // snapshot clears them.
  mutable std::shared_ptr<const search::SearchParameterRegistry> registry_;
  mutable std::unordered_map<std::string, std::shared_ptr<const Params>> plans_;
};

}  // namespace healthd::fhir
