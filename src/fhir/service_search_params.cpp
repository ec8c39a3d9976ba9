#include "fhir/service_search_params.h"

#include "fhir/forwarding_store.h"
#include "fhir/search_request.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>

namespace healthd::fhir {

namespace {

constexpr const char* kStateKey = "search_parameters";
constexpr const char* kType = "SearchParameter";

bool abstract_base(std::string_view b) { return b == "Resource" || b == "DomainResource"; }

// Codes are names a query can carry: letters, digits, '-' and '_', not starting with '_'
// (the result parameters' prefix).
bool valid_code(std::string_view code) {
  if (code.empty() || !std::isalnum(static_cast<unsigned char>(code[0]))) return false;
  return std::all_of(code.begin(), code.end(),
                     [](char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_'; });
}

bool overlaps(const std::vector<std::string>& a, const std::vector<std::string>& b) {
  for (const auto& x : a)
    for (const auto& y : b)
      if (x == y || abstract_base(x) || abstract_base(y)) return true;
  return false;
}

bool writes_search_parameter(const WriteOp& op) {
  if (op.type != kType) return false;
  switch (op.kind) {
    case WriteOp::Kind::Create:
    case WriteOp::Kind::Update:
    case WriteOp::Kind::Amend:
    case WriteOp::Kind::Delete:
    case WriteOp::Kind::Purge: return true;
    default: return false;
  }
}

bool is_active(const json::Value& r) { return json::get_string(r, "status").value_or("") == "active"; }

class SearchParameterHook final : public ForwardingStore {
 public:
  SearchParameterHook(std::shared_ptr<Store> inner, ServiceSearchParams& params)
      : ForwardingStore(std::move(inner)), params_(params) {}

  CommitResult commit(std::vector<WriteOp> ops) override {
    if (std::none_of(ops.begin(), ops.end(), writes_search_parameter)) return inner().commit(std::move(ops));
    return params_.commit(inner(), std::move(ops));
  }

 private:
  ServiceSearchParams& params_;
};

}  // namespace

std::shared_ptr<Store> with_search_parameter_hook(std::shared_ptr<Store> store, ServiceSearchParams& params) {
  return std::make_shared<SearchParameterHook>(std::move(store), params);
}

ServiceSearchParams::ServiceSearchParams(std::shared_ptr<const search::SearchParameterRegistry> builtin,
                                         std::shared_ptr<const Definitions> definitions)
    : builtin_(std::move(builtin)), definitions_(std::move(definitions)) {
  current_ = builtin_;
}

std::string ServiceSearchParams::check(const json::Value& r, const std::string& id,
                                       std::unique_ptr<search::SearchParam>& parsed) const {
  std::vector<std::string> errors;
  parsed = search::SearchParameterRegistry::parse_definition(r, errors);
  if (!parsed) return "a SearchParameter needs a code and a base";
  const search::SearchParam& p = *parsed;
  if (!errors.empty()) return errors[0];
  if (p.url.empty()) return "a SearchParameter needs a url";
  if (!valid_code(p.code))
    return "code '" + p.code + "' is not usable: letters, digits, '-' and '_', not starting with '_'";
  if (p.kind == search::ParamType::Special) return "custom parameters of type special are not supported";
  if (p.kind == search::ParamType::Composite) {
    // Components name other parameters (R4 or custom) by url; the shape must be one ix_composite holds.
    auto known = current();
    for (auto& c : parsed->components) {
      c.param = known->by_url(c.definition);
      if (!c.param) return "component definition " + c.definition + " is not a known SearchParameter";
      if (c.param->kind == search::ParamType::Composite || c.param->kind == search::ParamType::Special)
        return "component definition " + c.definition + " is a " + c.param->type + " parameter";
    }
    if (!indexed_composite(*parsed))
      return "a composite needs 2 components (a token or reference, then a token, string, number, quantity "
             "or date) or 3 (a token or reference, then two numbers)";
  }
  if (p.expression.empty() || !p.compiled_ok) return "a custom parameter needs a FHIRPath expression";
  for (const auto& b : p.base)
    if (!abstract_base(b) && !definitions_->is_resource_type(b)) return "base '" + b + "' is not a resource type";
  // Redefining a built-in parameter is refused: its values are already in the index under that
  // code, and one code means one thing per type.
  if (builtin_->by_url(p.url)) return "url " + p.url + " is an R4 search parameter";
  for (const auto& b : p.base) {
    bool clash = false;
    if (abstract_base(b)) {
      for (const auto& q : builtin_->all())
        if (q->code == p.code) clash = true;
    } else {
      clash = builtin_->find(b, p.code) != nullptr;
    }
    if (clash) return "code '" + p.code + "' is already an R4 search parameter of " + b + "; built-in parameters cannot be redefined";
  }
  auto snapshot = current();
  for (const auto& [other_id, reg] : by_id_) {
    if (other_id == id) continue;
    if (reg.url == p.url) return "url " + p.url + " is registered by SearchParameter/" + other_id;
    const search::SearchParam* q = snapshot->by_url(reg.url);
    if (q && q->code == p.code && overlaps(q->base, p.base))
      return "code '" + p.code + "' is already used by SearchParameter/" + other_id + " (" + reg.url + ")";
  }
  return {};
}

CommitResult ServiceSearchParams::commit(Store& store, std::vector<WriteOp> ops) {
  if (!builtin_) return store.commit(std::move(ops));
  std::lock_guard lock(mu_);
  std::map<std::string, Entry> state = read_state(store);
  bool state_changed = false;
  for (size_t i = 0; i < ops.size(); ++i) {
    const WriteOp& op = ops[i];
    if (!writes_search_parameter(op)) continue;
    std::optional<Registered> now;
    if (op.kind != WriteOp::Kind::Delete && op.kind != WriteOp::Kind::Purge) {
      json::Document doc;
      if (json::parse(op.json, doc) && doc.IsObject() && is_active(doc)) {
        std::unique_ptr<search::SearchParam> p;
        if (std::string why = check(doc, op.id, p); !why.empty()) {
          CommitResult bad;
          bad.status = CommitResult::Status::Invalid;
          bad.failed_op = static_cast<int>(i);
          bad.message = "SearchParameter/" + op.id + " cannot be registered: " + why;
          return bad;
        }
        now = Registered{p->url, search::definition_key(*p)};
      }
    }
    auto before = by_id_.find(op.id);
    const bool same = before == by_id_.end()
                          ? !now
                          : now && now->url == before->second.url && now->key == before->second.key;
    if (same) continue;
    // A new, changed or withdrawn definition: what the index holds for it is no longer complete.
    for (const Registered* r : {before == by_id_.end() ? nullptr : &before->second, now ? &*now : nullptr}) {
      if (!r) continue;
      Entry& e = state[r->url];
      ++e.generation;
      e.enabled_key.clear();
    }
    state_changed = true;
  }
  if (state_changed) ops.push_back(state_op(state));
  CommitResult r = store.commit(std::move(ops));
  if (r.ok()) {
    if (state_changed) r.seqs.pop_back();  // the caller sees one seq per op it gave
    rebuild(store);
  }
  return r;
}

void ServiceSearchParams::reload(Store& store) {
  if (!builtin_) return;
  std::lock_guard lock(mu_);
  rebuild(store);
}

void ServiceSearchParams::rebuild(Store& store) {
  state_ = read_state(store);
  by_id_.clear();
  std::vector<std::unique_ptr<search::SearchParam>> custom;
  SearchQuery q;
  q.type = kType;
  q.count = 500;
  for (;;) {
    SearchPage page = store.search(q);
    for (const StoredVersion& v : page.entries) {
      json::Document doc;
      if (!json::parse(v.json, doc) || !doc.IsObject() || !is_active(doc)) continue;
      std::vector<std::string> errors;
      auto p = search::SearchParameterRegistry::parse_definition(doc, errors);
      if (!p || !errors.empty() || p->url.empty()) {
        spdlog::warn("SearchParameter/{} is not registered: {}", v.id, errors.empty() ? "no url" : errors[0]);
        continue;
      }
      p->custom = true;
      const std::string key = search::definition_key(*p);
      auto st = state_.find(p->url);
      p->enabled = st != state_.end() && st->second.enabled_key == key;
      by_id_[v.id] = Registered{p->url, key};
      custom.push_back(std::move(p));
    }
    if (!page.has_more) break;
    q.after = page.next;
  }
  auto next = custom.empty() ? builtin_ : search::SearchParameterRegistry::with_custom(builtin_, std::move(custom));
  {
    std::lock_guard lock(current_mu_);
    current_.swap(next);
  }
  if (on_change_) on_change_();
}

ServiceSearchParams::Generations ServiceSearchParams::pending() const {
  std::lock_guard lock(mu_);
  Generations out;
  for (const auto& [id, reg] : by_id_) {
    auto st = state_.find(reg.url);
    if (st == state_.end()) {
      out[reg.url] = 0;
    } else if (st->second.enabled_key != reg.key) {
      out[reg.url] = st->second.generation;
    }
  }
  return out;
}

void ServiceSearchParams::enable(Store& store, const Generations& covered) {
  if (!builtin_ || covered.empty()) return;
  std::lock_guard lock(mu_);
  std::map<std::string, Entry> state = read_state(store);
  bool changed = false;
  for (const auto& [id, reg] : by_id_) {
    auto c = covered.find(reg.url);
    if (c == covered.end()) continue;
    Entry& e = state[reg.url];
    if (e.generation != c->second || e.enabled_key == reg.key) continue;  // changed since the job began
    e.enabled_key = reg.key;
    changed = true;
  }
  if (!changed) return;
  CommitResult r = store.commit({state_op(state)});
  if (!r.ok()) {
    spdlog::error("could not record enabled search parameters: {}", r.message);
    return;
  }
  rebuild(store);
}

std::map<std::string, ServiceSearchParams::Entry> ServiceSearchParams::read_state(Store& store) const {
  std::map<std::string, Entry> out;
  auto text = store.state(kStateKey);
  json::Document doc;
  if (!text || !json::parse(*text, doc) || !doc.IsObject()) return out;
  for (auto& m : doc.GetObject()) {
    if (!m.value.IsObject()) continue;
    Entry e;
    e.enabled_key = std::string(json::get_string(m.value, "enabled").value_or(""));
    if (auto it = m.value.FindMember("generation"); it != m.value.MemberEnd() && it->value.IsInt64())
      e.generation = it->value.GetInt64();
    out.emplace(std::string(m.name.GetString(), m.name.GetStringLength()), std::move(e));
  }
  return out;
}

WriteOp ServiceSearchParams::state_op(const std::map<std::string, Entry>& state) {
  json::Document d;
  d.SetObject();
  auto& a = d.GetAllocator();
  for (const auto& [url, e] : state) {
    json::Value v(rapidjson::kObjectType);
    v.AddMember("enabled", json::str(e.enabled_key, a), a);
    v.AddMember("generation", json::Value(static_cast<int64_t>(e.generation)), a);
    d.AddMember(json::str(url, a), v, a);
  }
  WriteOp op;
  op.kind = WriteOp::Kind::PutState;
  op.id = kStateKey;
  op.json = json::to_string(d);
  return op;
}

}  // namespace healthd::fhir
