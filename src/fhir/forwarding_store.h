// A Store that hands every call to another one: the base of the service's store decorators, which
// override commit() to see the writes (SearchParameter registration, profile cache). Not a public
// header.
#pragma once

#include <memory>

#include "fhir/store.h"

namespace healthd::fhir {

class ForwardingStore : public Store {
 public:
  explicit ForwardingStore(std::shared_ptr<Store> inner) : inner_(std::move(inner)) {}

  CommitResult commit(std::vector<WriteOp> ops) override { return inner_->commit(std::move(ops)); }
  std::optional<StoredVersion> current(std::string_view type, std::string_view id) override {
    return inner_->current(type, id);
  }
  std::optional<StoredVersion> version(std::string_view type, std::string_view id, int64_t v) override {
    return inner_->version(type, id, v);
  }
  HistoryPage history(const HistoryQuery& q) override { return inner_->history(q); }
  SearchPage search(const SearchQuery& q) override { return inner_->search(q); }
  std::optional<std::string> state(std::string_view key) override { return inner_->state(key); }
  void close() override { inner_->close(); }

 protected:
  Store& inner() { return *inner_; }

 private:
  std::shared_ptr<Store> inner_;
};

}  // namespace healthd::fhir
