#include "fhir/reindex.h"

#include <algorithm>

#include "common/time.h"
#include "fhir/service_impl.h"
#include "json/json.h"
#include "search/index_values.h"

namespace healthd::fhir {

namespace {

constexpr int kPage = 500;         // resources read per search page
constexpr size_t kOpsPerCommit = 100;

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

ReindexJob::~ReindexJob() {
  if (thread_.joinable()) {
    thread_.request_stop();
    thread_.join();
  }
}

bool ReindexJob::start(std::shared_ptr<Store> store, IndexFn index) {
  std::lock_guard lock(mu_);
  if (status_ == "running") return false;
  if (thread_.joinable()) thread_.join();  // the previous job has finished
  status_ = "running";
  total_ = processed_ = changed_versions_ = failed_ = 0;
  started_us_ = now_us();
  finished_us_ = 0;
  error_.clear();
  thread_ = std::jthread([this, store = std::move(store), index = std::move(index)](std::stop_token stop) {
    run(stop, store, index);
  });
  return true;
}

void ReindexJob::run(std::stop_token stop, std::shared_ptr<Store> store, IndexFn index) {
  try {
    SearchQuery all;  // every current resource of every type, in key order
    all.count = 0;
    all.with_total = true;
    const int64_t total = store->search(all).total.value_or(0);
    {
      std::lock_guard lock(mu_);
      total_ = total;
    }
    all.count = kPage;
    all.with_total = false;
    for (;;) {
      if (stop.stop_requested()) throw std::runtime_error("stopped (server shutting down)");
      SearchPage page = store->search(all);
      std::vector<WriteOp> ops = reindex_ops(page.entries, index);
      int64_t failed = 0, changed = 0;
      for (size_t i = 0; i < ops.size(); i += kOpsPerCommit) {
        std::vector<WriteOp> chunk(std::make_move_iterator(ops.begin() + i),
                                   std::make_move_iterator(ops.begin() + std::min(ops.size(), i + kOpsPerCommit)));
        failed += commit_dropping_conflicts(*store, std::move(chunk), changed);
      }
      {
        std::lock_guard lock(mu_);
        processed_ += static_cast<int64_t>(page.entries.size());
        failed_ += failed;
        changed_versions_ += changed;
      }
      if (!page.has_more) break;
      all.after = page.next;
    }
    std::lock_guard lock(mu_);
    status_ = failed_ ? "failed" : "completed";
    if (failed_) error_ = std::to_string(failed_) + " resources could not be written";
    finished_us_ = now_us();
  } catch (const std::exception& e) {
    std::lock_guard lock(mu_);
    status_ = "failed";
    error_ = e.what();
    finished_us_ = now_us();
  }
}

std::string ReindexJob::status_json() const {
  std::lock_guard lock(mu_);
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
  add("status", "valueCode", json::Value(status_.c_str(), a));
  add("resources", "valueInteger", json::Value(static_cast<int64_t>(total_)));
  add("processed", "valueInteger", json::Value(static_cast<int64_t>(processed_)));
  add("changedMeanwhile", "valueInteger", json::Value(static_cast<int64_t>(changed_versions_)));
  add("failed", "valueInteger", json::Value(static_cast<int64_t>(failed_)));
  if (started_us_) add("started", "valueInstant", json::Value(format_instant(started_us_).c_str(), a));
  if (finished_us_) add("finished", "valueInstant", json::Value(format_instant(finished_us_).c_str(), a));
  if (!error_.empty()) add("error", "valueString", json::Value(error_.c_str(), a));
  d.AddMember("parameter", params, a);
  return json::to_string(d);
}

// ---- the $reindex operation ----

Response FhirService::Impl::reindex(Request& req, const std::string& type, const std::string& id) {
  auto index = [this, base = req.base_url](const std::string& t, const std::string& text) {
    json::Document doc;
    if (!json::parse(text, doc)) return std::vector<IndexRow>{};
    return index_rows(t, doc, base);
  };
  if (type.empty()) {
    // [base]/$reindex: POST starts the job over every resource; GET reports on it.
    Response r;
    if (req.method == "POST") {
      if (!reindex_job->start(store, index))
        return error(409, "conflict", "A reindex job is running; GET [base]/$reindex reports on it");
      r.status = 202;
      r.headers.set("Content-Location", req.base_url + "/$reindex");
    } else {
      r.status = 200;
    }
    set_json_body(req, r, reindex_job->status_json());
    return r;
  }
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

}  // namespace healthd::fhir
