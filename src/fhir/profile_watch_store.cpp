#include "fhir/profile_watch_store.h"

#include "fhir/forwarding_store.h"

namespace healthd::fhir {

namespace {

class ProfileWatchStore final : public ForwardingStore {
 public:
  ProfileWatchStore(std::shared_ptr<Store> inner, std::shared_ptr<ProfileCache> profiles)
      : ForwardingStore(std::move(inner)), profiles_(std::move(profiles)) {}

  CommitResult commit(std::vector<WriteOp> ops) override {
    bool profile = false;
    for (const auto& op : ops) profile = profile || op.type == "StructureDefinition";
    CommitResult r = inner().commit(std::move(ops));
    // Also after a failed commit: a cleared cache costs one reload, a stale one wrong answers.
    if (profile) profiles_->invalidate();
    return r;
  }

 private:
  std::shared_ptr<ProfileCache> profiles_;
};

}  // namespace

std::shared_ptr<Store> watch_profile_writes(std::shared_ptr<Store> inner, std::shared_ptr<ProfileCache> profiles) {
  return std::make_shared<ProfileWatchStore>(std::move(inner), std::move(profiles));
}

}  // namespace healthd::fhir
