#include "fhir/reindex.h"

#include <algorithm>

#include "common/ids.h"
#include "common/time.h"
#include "fhir/service_impl.h"
#include "json/json.h"
#include "search/index_values.h"

#include <spdlog/spdlog.h>

namespace healthd::fhir {

namespace {

constexpr int kPage = 500;         // resources read per search page
constexpr size_t kOpsPerCommit = 100;
constexpr const char* kStateKey = "reindex_job";

// Commits ops, dropping those whose resource changed meanwhile (its own write indexed it).
// Returns how many could not be written for another reason.
int64_t commit_dropping_conflicts(Store& store, std::vector<WriteOp> ops, int64_t& changed) {
  while (!ops.empty()) {
    CommitResult r = store.commit(ops);
    if (r.ok()) return 0;
    if (r.status != CommitResult::Status::Conflict || r.failed_op < 0) return static_cast<int64_t>(ops.size());
    ops.erase(ops.begin() + r.failed_op);
    ++changed;
  }
  return 0;
}

}  // namespace

std::vector<WriteOp> reindex_ops(const std::vector<StoredVersion>& versions, const ReindexJob::IndexFn& index) {
  std::vector<WriteOp> ops;
  for (const auto& v : versions) {
    if (v.deleted()) continue;
    WriteOp op;
    op.kind = WriteOp::Kind::Reindex;
    op.type = v.type;
    op.id = v.id;
    op.version = v.version;
    op.index = index(v.type, v.json);
    ops.push_back(std::move(op));
  }
  return ops;
}

ReindexJob::~ReindexJob() { stop(); }

void ReindexJob::stop() {
  if (thread_.joinable()) {
    thread_.request_stop();
    thread_.join();
  }
}

void ReindexJob::attach(std::shared_ptr<Store> store, MakeIndex make_index, OnCompleted on_completed,
                        std::string string_normalization) {
  std::unique_lock lock(mu_);
  store_ = std::move(store);
  make_index_ = std::move(make_index);
  on_completed_ = std::move(on_completed);
  normalization_ = std::move(string_normalization);
  if (auto text = store_->state(kStateKey)) state_ = from_json(*text);
  if (state_.status == "running") {
    launch();  // interrupted by a restart: carry on after the last page written
  } else if (state_.status == "completed") {
    Covers covers = state_.covers;
    lock.unlock();
    on_completed_(covers);  // in case the restart came between the job's end and its effect
  }
}

bool ReindexJob::running() const {
  std::lock_guard lock(mu_);
  return state_.status == "running";
}

bool ReindexJob::start(const std::string& base_url, Covers covers) {
  std::lock_guard lock(mu_);
  if (!store_ || state_.status == "running") return false;
  if (thread_.joinable()) thread_.join();  // the previous job has finished
  state_ = State{};
  state_.id = new_uuid();
  state_.status = "running";
  state_.base_url = base_url;
  state_.started_us = now_us();
  state_.total = -1;  // counted by the job
  state_.covers = std::move(covers);
  CommitResult r = store_->commit({state_op(state_)});
  if (!r.ok()) {
    state_.status = "failed";
    state_.error = "could not record the job: " + r.message;
    return true;
  }
  launch();
  return true;
}

void ReindexJob::launch() {
  thread_ = std::jthread([this](std::stop_token stop) { run(stop); });
}

WriteOp ReindexJob::state_op(const State& s) {
  WriteOp op;
  op.kind = WriteOp::Kind::PutState;
  op.id = kStateKey;
  op.json = to_json(s);
  return op;
}

void ReindexJob::run(std::stop_token stop) {
  std::string base_url;
  int64_t after = 0;
  bool count = false;
  {
    std::lock_guard lock(mu_);
    base_url = state_.base_url;
    after = state_.after;
    count = state_.total < 0;
  }
  const IndexFn index = make_index_(base_url);
  try {
    SearchQuery all;  // every current resource of every type, in key order
    if (count) {
      all.count = 0;
      all.with_total = true;
      const int64_t total = store_->search(all).total.value_or(0);
      std::lock_guard lock(mu_);
      state_.total = total;
    }
    all.count = kPage;
    all.with_total = false;
    all.after = after;
    for (;;) {
      if (stop.stop_requested()) return;  // stays "running" in the store: resumed at the next start
      SearchPage page = store_->search(all);
      std::vector<WriteOp> ops = reindex_ops(page.entries, index);
      int64_t failed = 0, changed = 0;
      for (size_t i = 0; i < ops.size(); i += kOpsPerCommit) {
        std::vector<WriteOp> chunk(std::make_move_iterator(ops.begin() + i),
                                   std::make_move_iterator(ops.begin() + std::min(ops.size(), i + kOpsPerCommit)));
        failed += commit_dropping_conflicts(*store_, std::move(chunk), changed);
      }
      WriteOp progress;
      {
        std::lock_guard lock(mu_);
        state_.processed += static_cast<int64_t>(page.entries.size());
        state_.failed += failed;
        state_.changed += changed;
        if (page.has_more) state_.after = page.next;
        progress = state_op(state_);
      }
      if (!page.has_more) break;
      store_->commit({std::move(progress)});  // a failure here only costs a page redone on resume
      all.after = page.next;
    }
  } catch (const std::exception& e) {
    if (stop.stop_requested()) return;
    std::lock_guard lock(mu_);
    state_.failed = std::max<int64_t>(state_.failed, 1);
    state_.error = e.what();
  }
  // The final state is written first and published after its effect: a client that sees
  // "completed" can search with the parameters it enables.
  std::vector<WriteOp> finish;
  Covers covers;
  bool completed = false;
  State final_state;
  {
    std::lock_guard lock(mu_);
    final_state = state_;
  }
  completed = final_state.failed == 0;
  final_state.status = completed ? "completed" : "failed";
  if (!completed && final_state.error.empty())
    final_state.error = std::to_string(final_state.failed) + " resources could not be written";
  final_state.finished_us = now_us();
  finish.push_back(state_op(final_state));
  covers = final_state.covers;
  if (completed) {
    // Every resource now has index rows written under this build's rules (search::kIndexRules).
    WriteOp norm;
    norm.kind = WriteOp::Kind::PutState;
    norm.id = kNormalizationKey;
    norm.json = normalization_;
    finish.push_back(std::move(norm));
  }
  if (CommitResult r = store_->commit(std::move(finish)); !r.ok()) return;
  if (completed) on_completed_(covers);
  std::lock_guard lock(mu_);
  state_ = std::move(final_state);
}

std::string ReindexJob::to_json(const State& s) {
  json::Document d;
  d.SetObject();
  auto& a = d.GetAllocator();
  d.AddMember("id", json::str(s.id, a), a);
  d.AddMember("status", json::str(s.status, a), a);
  d.AddMember("resources", json::Value(static_cast<int64_t>(s.total)), a);
  d.AddMember("processed", json::Value(static_cast<int64_t>(s.processed)), a);
  d.AddMember("changedMeanwhile", json::Value(static_cast<int64_t>(s.changed)), a);
  d.AddMember("failed", json::Value(static_cast<int64_t>(s.failed)), a);
  d.AddMember("startedUs", json::Value(static_cast<int64_t>(s.started_us)), a);
  d.AddMember("finishedUs", json::Value(static_cast<int64_t>(s.finished_us)), a);
  d.AddMember("after", json::Value(static_cast<int64_t>(s.after)), a);
  d.AddMember("baseUrl", json::str(s.base_url, a), a);
  d.AddMember("error", json::str(s.error, a), a);
  json::Value covers(rapidjson::kObjectType);
  for (const auto& [url, gen] : s.covers) covers.AddMember(json::str(url, a), json::Value(static_cast<int64_t>(gen)), a);
  d.AddMember("covers", covers, a);
  return json::to_string(d);
}

ReindexJob::State ReindexJob::from_json(const std::string& text) {
  State s;
  json::Document d;
  if (!json::parse(text, d) || !d.IsObject()) return s;
  auto str = [&](const char* name) { return std::string(json::get_string(d, name).value_or("")); };
  auto num = [&](const char* name) -> int64_t {
    const json::Value* v = json::get_member(d, name);
    return v && v->IsInt64() ? v->GetInt64() : 0;
  };
  s.id = str("id");
  s.status = str("status");
  if (s.status.empty()) s.status = "none";
  s.error = str("error");
  s.base_url = str("baseUrl");
  s.total = num("resources");
  s.processed = num("processed");
  s.changed = num("changedMeanwhile");
  s.failed = num("failed");
  s.started_us = num("startedUs");
  s.finished_us = num("finishedUs");
  s.after = num("after");
  if (const json::Value* c = json::get_member(d, "covers"); c && c->IsObject())
    for (auto& m : c->GetObject())
      if (m.value.IsInt64()) s.covers[std::string(m.name.GetString(), m.name.GetStringLength())] = m.value.GetInt64();
  return s;
}

std::string ReindexJob::status_json() const {
  std::lock_guard lock(mu_);
  const State& s = state_;
  json::Document d;
  d.SetObject();
  auto& a = d.GetAllocator();
  d.AddMember("resourceType", "Parameters", a);
  json::Value params(rapidjson::kArrayType);
  auto add = [&](const char* name, const char* type, json::Value v) {
    json::Value p(rapidjson::kObjectType);
    p.AddMember("name", json::Value(name, a), a);
    p.AddMember(json::Value(type, a), v, a);
    params.PushBack(p, a);
  };
  if (!s.id.empty()) add("id", "valueString", json::str(s.id, a));
  add("status", "valueCode", json::str(s.status, a));
  add("resources", "valueInteger", json::Value(static_cast<int64_t>(std::max<int64_t>(s.total, 0))));
  add("processed", "valueInteger", json::Value(static_cast<int64_t>(s.processed)));
  add("changedMeanwhile", "valueInteger", json::Value(static_cast<int64_t>(s.changed)));
  add("failed", "valueInteger", json::Value(static_cast<int64_t>(s.failed)));
  if (s.started_us) add("started", "valueInstant", json::str(format_instant(s.started_us), a));
  if (s.finished_us) add("finished", "valueInstant", json::str(format_instant(s.finished_us), a));
  if (!s.error.empty()) add("error", "valueString", json::str(s.error, a));
  for (const auto& [url, gen] : s.covers) add("enables", "valueUri", json::str(url, a));
  d.AddMember("parameter", params, a);
  return json::to_string(d);
}

// ---- the $reindex operation ----

Response FhirService::Impl::reindex(Request& req, const std::string& type, const std::string& id) {
  if (type.empty()) {
    // [base]/$reindex: POST starts the job over every resource; GET reports on it.
    Response r;
    if (req.method == "POST") {
      if (!reindex_job->start(req.base_url, search_params.pending()))
        return error(409, "conflict", "A reindex job is running; GET [base]/$reindex reports on it");
      r.status = 202;
      r.headers.set("Content-Location", req.base_url + "/$reindex");
    } else {
      r.status = 200;
    }
    set_json_body(req, r, reindex_job->status_json());
    return r;
  }
  ReindexJob::IndexFn index = index_function(req.base_url);
  // [type]/[id]/$reindex: GET shows the index values the resource would get; POST stores them.
  auto cur = store->current(type, id);
  if (!cur || cur->deleted()) return error(404, "not-found", type + "/" + id + " is not known");
  std::vector<WriteOp> ops = reindex_ops({*cur}, index);
  if (req.method == "POST") {
    CommitResult c = store->commit(ops);
    if (!c.ok() && c.status == CommitResult::Status::Conflict)
      return error(409, "conflict", type + "/" + id + " changed while it was reindexed; its new version is indexed");
    if (!c.ok()) return store_failure(c);
  }
  json::Document d;
  d.SetObject();
  auto& a = d.GetAllocator();
  d.AddMember("resourceType", "Parameters", a);
  json::Value params(rapidjson::kArrayType);
  for (const IndexRow& row : ops[0].index) {
    std::string value;
    switch (row.kind) {
      case IndexRow::Kind::Token: value = row.system.empty() ? row.text : row.system + "|" + row.text; break;
      case IndexRow::Kind::Date: value = format_instant(row.low_us) + " .. " + format_instant(row.high_us); break;
      case IndexRow::Kind::Number:
      case IndexRow::Kind::Quantity:
        value = std::to_string(row.low) + (row.low == row.high ? "" : " .. " + std::to_string(row.high)) +
                (row.unit.empty() ? "" : " " + row.unit);
        break;
      case IndexRow::Kind::Composite: {
        // first$second, as a search value would name them.
        value = (row.system.empty() ? row.text : row.system + "|" + row.text) + "$";
        if (row.second == IndexRow::Kind::Date)
          value += format_instant(row.low_us) + " .. " + format_instant(row.high_us);
        else if (row.second == IndexRow::Kind::Number || row.second == IndexRow::Kind::Quantity)
          value += std::to_string(row.low) + (row.low == row.high ? "" : " .. " + std::to_string(row.high)) +
                   (row.unit.empty() ? "" : " " + row.unit);
        else
          value += row.system2.empty() ? row.unit : row.system2 + "|" + row.unit;
        break;
      }
      default: value = row.text; break;
    }
    json::Value p(rapidjson::kObjectType);
    p.AddMember("name", json::Value(row.param.c_str(), a), a);
    p.AddMember("valueString", json::Value(value.c_str(), a), a);
    params.PushBack(p, a);
  }
  d.AddMember("parameter", params, a);
  Response r;
  r.status = 200;
  set_json_body(req, r, json::to_string(d));
  return r;
}

ReindexJob::IndexFn FhirService::Impl::index_function(const std::string& base_url) const {
  return [this, base_url](const std::string& type, const std::string& text) {
    json::Document doc;
    if (!json::parse(text, doc)) return std::vector<IndexRow>{};
    return index_rows(type, doc, base_url);
  };
}

void FhirService::Impl::open_index() {
  search_params.set_on_change([this] {
    std::lock_guard lock(capability_mu);
    capability_by_base.clear();
  });
  search_params.reload(*store);
  if (search_params.current() && store->state(ReindexJob::kNormalizationKey) != search::kIndexRules) {
    SearchQuery any;  // an empty store is current as it is
    any.count = 1;
    if (store->search(any).entries.empty()) {
      WriteOp op;
      op.kind = WriteOp::Kind::PutState;
      op.id = ReindexJob::kNormalizationKey;
      op.json = search::kIndexRules;
      store->commit({std::move(op)});
    } else {
      index_current = false;
    }
  }
  reindex_job->attach(
      store, [this](const std::string& base_url) { return index_function(base_url); },
      [this](const ReindexJob::Covers& covers) { search_params.enable(*store, covers); },
      search::kIndexRules);
}

void FhirService::Impl::index_upkeep(const Request& req) {
  if (index_current.load(std::memory_order_relaxed) || index_current.exchange(true)) return;
  // The index was written under older rules (string normalization, rows kept): reindex everything
  // (a job that a restart interrupted is resumed by attach and records the rules when it completes).
  if (!reindex_job->running() && reindex_job->start(req.base_url, search_params.pending()))
    spdlog::info("FHIR service {}: index written under other rules (search::kIndexRules); reindexing", name);
}

}  // namespace healthd::fhir
