#include "fhir/index_plan.h"

#include <mutex>

#include "fhir/search_request.h"
#include "search/search_parameters.h"

namespace healthd::fhir {

std::shared_ptr<const IndexPlans::Params> IndexPlans::of(
    const std::shared_ptr<const search::SearchParameterRegistry>& params, const std::string& type) const {
  {
    std::shared_lock lock(mu_);
    if (registry_ == params)
      if (auto it = plans_.find(type); it != plans_.end()) return it->second;
  }
  auto plan = std::make_shared<Params>();
  for (const search::SearchParam* sp : params->for_type(type))
    if (indexed(*sp) && row_sources(*params, type, *sp).empty()) plan->push_back(sp);
  std::unique_lock lock(mu_);
  if (registry_ != params) {
    // Plans are kept for one snapshot, the one asked for last (callers take the current one).
    registry_ = params;
    plans_.clear();
  }
  plans_[type] = plan;
  return plan;
}

}  // namespace healthd::fhir
