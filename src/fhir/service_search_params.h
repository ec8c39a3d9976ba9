// The search parameters of one FHIR service: the R4 ones plus the active SearchParameter
// resources stored in the service (custom parameters). Not a public header.
//
// Readers take a snapshot (current()) and keep it for their request; a change builds a new
// snapshot and swaps it in (copy-on-write), so no reader sees one half-built.
//
// A custom parameter is indexed on every write from its registration on, but answers searches
// only once it is enabled: when a $reindex job that started after its registration has indexed
// every stored resource. Service state "search_parameters" records, per url, the definition it
// was enabled with and a generation that every change of its definition bumps, so a job enables
// only what it indexed from its start, and the enabled state survives restarts.
#pragma once

#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "fhir/definitions.h"
#include "fhir/store.h"
#include "json/json.h"
#include "search/search_parameters.h"

namespace healthd::fhir {

class ServiceSearchParams {
 public:
  // url -> generation of that parameter's definition.
  using Generations = std::map<std::string, int64_t>;

  // builtin may be null (a service without search): then nothing is registered.
  ServiceSearchParams(std::shared_ptr<const search::SearchParameterRegistry> builtin,
                      std::shared_ptr<const Definitions> definitions);

  std::shared_ptr<const search::SearchParameterRegistry> current() const {
    std::lock_guard lock(current_mu_);
    return current_;
  }

  // Commits ops of which some write SearchParameters: each active one is checked first (refused
  // with Status::Invalid when it cannot be registered), definition changes are recorded in the
  // same transaction, and the snapshot is rebuilt after the commit.
  CommitResult commit(Store& store, std::vector<WriteOp> ops);

  // Reads the stored SearchParameters and the enabled state and swaps in the new snapshot.
  void reload(Store& store);

  // Registered custom parameters not enabled yet, with their generation (what a job starting
  // now would enable).
  Generations pending() const;
  // After a job that started with `covered` completed: enables those still at that generation.
  void enable(Store& store, const Generations& covered);

  // Called after each swap (the CapabilityStatement cache).
  void set_on_change(std::function<void()> f) { on_change_ = std::move(f); }

 private:
  struct Entry {  // service state per url
    std::string enabled_key;  // definition_key() it was enabled with; empty: not enabled
    int64_t generation = 0;
  };
  struct Registered {  // a stored, active SearchParameter
    std::string url, key;
  };

  // Why `resource` (about to be stored with `id`) cannot be registered; empty when it can.
  std::string check(const json::Value& resource, const std::string& id,
                    std::unique_ptr<search::SearchParam>& parsed) const;
  std::map<std::string, Entry> read_state(Store& store) const;
  static WriteOp state_op(const std::map<std::string, Entry>& state);
  void rebuild(Store& store);

  std::shared_ptr<const search::SearchParameterRegistry> builtin_;
  std::shared_ptr<const Definitions> definitions_;
  // A mutex, not std::atomic<std::shared_ptr>: libstdc++ implements that with a spin lock, and a
  // reader preempted while holding it (more request threads than cores) left others spinning.
  mutable std::mutex current_mu_;
  std::shared_ptr<const search::SearchParameterRegistry> current_;
  std::function<void()> on_change_;

  // Held from reading the state to swapping the snapshot: SearchParameter writes, reloads and
  // enabling run one at a time.
  mutable std::mutex mu_;
  std::map<std::string, Registered> by_id_;  // resource id -> what it registers (guarded by mu_)
  std::map<std::string, Entry> state_;       // last read state (guarded by mu_)
};

// The store as the service sees it: commits that write SearchParameters go through `params`.
std::shared_ptr<Store> with_search_parameter_hook(std::shared_ptr<Store> store, ServiceSearchParams& params);

}  // namespace healthd::fhir
