#include "fhir/profile_watch_store.h"

namespace healthd::fhir {

namespace {

class ProfileWatchStore : public Store {
 public:
  ProfileWatchStore(std::shared_ptr<Store> inner, std::shared_ptr<ProfileCache> profiles)
      : inner_(std::move(inner)), profiles_(std::move(profiles)) {}

  CommitResult commit(std::vector<WriteOp> ops) override {
    bool profile = false;
    for (const auto& op : ops) profile = profile || op.type == "StructureDefinition";
    CommitResult r = inner_->commit(std::move(ops));
    // Also after a failed commit: a cleared cache costs one reload, a stale one wrong answers.
    if (profile) profiles_->invalidate();
    return r;
  }
  std::optional<StoredVersion> current(std::string_view type, std::string_view id) override {
    return inner_->current(type, id);
  }
  std::optional<StoredVersion> version(std::string_view type, std::string_view id, int64_t v) override {
    return inner_->version(type, id, v);
  }
  HistoryPage history(const HistoryQuery& query) override { return inner_->history(query); }
  SearchPage search(const SearchQuery& query) override { return inner_->search(query); }
  void close() override { inner_->close(); }

 private:
  std::shared_ptr<Store> inner_;
  std::shared_ptr<ProfileCache> profiles_;
};

}  // namespace

std::shared_ptr<Store> watch_profile_writes(std::shared_ptr<Store> inner, std::shared_ptr<ProfileCache> profiles) {
  return std::make_shared<ProfileWatchStore>(std::move(inner), std::move(profiles));
}

}  // namespace healthd::fhir
