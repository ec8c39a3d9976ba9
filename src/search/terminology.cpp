#include "search/terminology.h"

#include <algorithm>
#include <map>
#include <mutex>
#include <fstream>
#include <sstream>

namespace healthd::search {

namespace {

std::string_view sv(const json::Value& v) { return {v.GetString(), v.GetStringLength()}; }

std::string_view mstr(const json::Value& obj, const char* name) {
  return json::get_string(obj, name).value_or(std::string_view{});
}

const json::Value* array_member(const json::Value& obj, const char* name) {
  const json::Value* a = obj.IsObject() ? json::get_member(obj, name) : nullptr;
  return a != nullptr && a->IsArray() ? a : nullptr;
}

// "http://x/ValueSet/y|4.0.1" -> "http://x/ValueSet/y"
std::string_view without_version(std::string_view url) {
  if (auto bar = url.find('|'); bar != std::string_view::npos) url = url.substr(0, bar);
  return url;
}

struct Filter {
  std::string property, op, value;
};

// One compose.include or compose.exclude: codes of `system` (all, listed, or filtered), within
// the listed value sets.
struct ComposeRule {
  std::string system;
  std::vector<std::string> concepts;
  std::vector<Filter> filters;
  std::vector<std::string> value_sets;
};

struct ValueSetDef {
  std::string url;
  bool has_compose = false;
  std::vector<ComposeRule> include, exclude;
  Expansion contains;  // expansion.contains, used when there is no compose
};

ComposeRule parse_rule(const json::Value& r) {
  ComposeRule rule;
  rule.system = std::string(mstr(r, "system"));
  if (const json::Value* cs = array_member(r, "concept"))
    for (const auto& c : cs->GetArray())
      if (auto code = json::get_string(c, "code")) rule.concepts.emplace_back(*code);
  if (const json::Value* fs = array_member(r, "filter"))
    for (const auto& f : fs->GetArray())
      rule.filters.push_back({std::string(mstr(f, "property")), std::string(mstr(f, "op")), std::string(mstr(f, "value"))});
  if (const json::Value* vs = array_member(r, "valueSet"))
    for (const auto& v : vs->GetArray())
      if (v.IsString()) rule.value_sets.emplace_back(without_version(sv(v)));
  return rule;
}

void add_contains(const json::Value& list, Expansion& out) {
  for (const auto& c : list.GetArray()) {
    auto system = json::get_string(c, "system");
    auto code = json::get_string(c, "code");
    if (system && code) out.codes[std::string(*system)].emplace(*code);
    if (const json::Value* nested = array_member(c, "contains")) add_contains(*nested, out);
  }
}

std::optional<ValueSetDef> parse_value_set(const json::Value& r) {
  ValueSetDef vs;
  vs.url = std::string(without_version(mstr(r, "url")));
  if (vs.url.empty()) return std::nullopt;
  if (const json::Value* compose = r.IsObject() ? json::get_member(r, "compose") : nullptr;
      compose != nullptr && compose->IsObject()) {
    vs.has_compose = true;
    if (const json::Value* inc = array_member(*compose, "include"))
      for (const auto& i : inc->GetArray()) vs.include.push_back(parse_rule(i));
    if (const json::Value* exc = array_member(*compose, "exclude"))
      for (const auto& e : exc->GetArray()) vs.exclude.push_back(parse_rule(e));
  }
  if (const json::Value* expansion = r.IsObject() ? json::get_member(r, "expansion") : nullptr)
    if (const json::Value* contains = array_member(*expansion, "contains")) add_contains(*contains, vs.contains);
  return vs;
}

// ---- set algebra on expansions ----

void unite(Expansion& a, const Expansion& b) {
  for (const auto& s : b.whole_systems) {
    a.whole_systems.insert(s);
    a.codes.erase(s);
  }
  for (const auto& [s, codes] : b.codes)
    if (!a.whole_systems.contains(s)) a.codes[s].insert(codes.begin(), codes.end());
}

Expansion intersect(const Expansion& a, const Expansion& b) {
  Expansion out;
  for (const auto& s : a.whole_systems)
    if (b.whole_systems.contains(s)) out.whole_systems.insert(s);
  auto take = [&](const Expansion& x, const Expansion& y) {  // x's codes that y holds
    for (const auto& [s, codes] : x.codes) {
      if (y.whole_systems.contains(s)) {
        out.codes[s].insert(codes.begin(), codes.end());
      } else if (auto it = y.codes.find(s); it != y.codes.end()) {
        for (const auto& c : codes)
          if (it->second.contains(c)) out.codes[s].insert(c);
      }
    }
  };
  take(a, b);
  take(b, a);
  std::erase_if(out.codes, [](const auto& kv) { return kv.second.empty(); });
  return out;
}

// a minus b; false when b removes listed codes from a system a takes whole (not expressible).
bool subtract(Expansion& a, const Expansion& b, std::string& why) {
  for (const auto& s : b.whole_systems) {
    a.whole_systems.erase(s);
    a.codes.erase(s);
  }
  for (const auto& [s, codes] : b.codes) {
    if (a.whole_systems.contains(s)) {
      why = "it excludes codes from " + s + ", a code system this server does not hold";
      return false;
    }
    if (auto it = a.codes.find(s); it != a.codes.end()) {
      for (const auto& c : codes) it->second.erase(c);
      if (it->second.empty()) a.codes.erase(it);
    }
  }
  return true;
}

}  // namespace

// ---- CodeSystem ----

void CodeSystem::add(std::string_view code, std::string_view parent) {
  if (code.empty()) return;
  if (!index_.contains(code)) {
    index_.emplace(std::string(code), codes.size());
    codes.emplace_back(code);
    children_.emplace_back();
    parents_.emplace_back();
  }
  if (!parent.empty()) link(parent, code);
}

void CodeSystem::link(std::string_view parent, std::string_view child) {
  auto p = index_.find(parent), c = index_.find(child);
  if (p == index_.end() || c == index_.end() || p->second == c->second) return;
  auto& kids = children_[p->second];
  if (std::find(kids.begin(), kids.end(), c->second) != kids.end()) return;
  kids.push_back(c->second);
  parents_[c->second].push_back(p->second);
}

std::optional<CodeSystem> CodeSystem::parse(const json::Value& r) {
  CodeSystem cs;
  cs.url = std::string(without_version(mstr(r, "url")));
  if (cs.url.empty()) return std::nullopt;
  const std::string_view content = mstr(r, "content");
  cs.complete = content.empty() || content == "complete";
  // Properties naming other codes are linked once every code is known.
  std::vector<std::pair<std::string, std::string>> links;  // parent, child
  auto walk = [&](auto& self, const json::Value& list, std::string_view parent) -> void {
    for (const auto& c : list.GetArray()) {
      std::string_view code = mstr(c, "code");
      if (code.empty()) continue;
      cs.add(code, parent);
      if (const json::Value* props = array_member(c, "property"))
        for (const auto& p : props->GetArray()) {
          std::string_view name = mstr(p, "code");
          std::string_view value = mstr(p, "valueCode");
          if (value.empty()) continue;
          if (name == "parent" || name == "subsumedBy") links.emplace_back(value, code);
          if (name == "child") links.emplace_back(code, value);
        }
      if (const json::Value* nested = array_member(c, "concept")) self(self, *nested, code);
    }
  };
  if (const json::Value* concepts = array_member(r, "concept")) walk(walk, *concepts, {});
  for (const auto& [p, c] : links) cs.link(p, c);
  return cs;
}

std::vector<std::string> CodeSystem::descendants_or_self(std::string_view code) const {
  auto it = index_.find(code);
  if (it == index_.end()) return {std::string(code)};
  std::vector<size_t> seen = {it->second};
  for (size_t i = 0; i < seen.size(); ++i)
    for (size_t k : children_[seen[i]])
      if (std::find(seen.begin(), seen.end(), k) == seen.end()) seen.push_back(k);
  std::sort(seen.begin(), seen.end());
  std::vector<std::string> out;
  for (size_t k : seen) out.push_back(codes[k]);
  return out;
}

std::vector<std::string> CodeSystem::ancestors_or_self(std::string_view code) const {
  auto it = index_.find(code);
  if (it == index_.end()) return {std::string(code)};
  std::vector<size_t> seen = {it->second};
  for (size_t i = 0; i < seen.size(); ++i)
    for (size_t k : parents_[seen[i]])
      if (std::find(seen.begin(), seen.end(), k) == seen.end()) seen.push_back(k);
  std::sort(seen.begin(), seen.end());
  std::vector<std::string> out;
  for (size_t k : seen) out.push_back(codes[k]);
  return out;
}

size_t Expansion::size() const {
  size_t n = whole_systems.size();
  for (const auto& [s, c] : codes) n += c.size();
  return n;
}

// ---- Terminology ----

struct Terminology::Data {
  std::unordered_map<std::string, CodeSystem, TermStringHash, std::equal_to<>> code_systems;
  std::unordered_map<std::string, ValueSetDef, TermStringHash, std::equal_to<>> value_sets;
  std::vector<std::string> errors;

  void add_bundle(std::string_view text, const std::string& source) {
    json::Document doc;
    std::string err;
    if (!json::parse(text, doc, &err)) {
      errors.push_back(source + ": " + err);
      return;
    }
    const json::Value* entries = array_member(doc, "entry");
    if (entries == nullptr) return;
    for (const auto& e : entries->GetArray()) {
      const json::Value* r = e.IsObject() ? json::get_member(e, "resource") : nullptr;
      if (r == nullptr || !r->IsObject()) continue;
      std::string_view type = mstr(*r, "resourceType");
      if (type == "CodeSystem") {
        if (auto cs = CodeSystem::parse(*r)) code_systems.try_emplace(cs->url, std::move(*cs));
      } else if (type == "ValueSet") {
        if (auto vs = parse_value_set(*r)) value_sets.try_emplace(vs->url, std::move(*vs));
      }
    }
  }
};

Terminology::~Terminology() = default;

std::shared_ptr<const Terminology> Terminology::open(std::string dir, size_t max_expansion) {
  // One per folder and limit for the process: search and validation share the parsed files and
  // the expansions.
  static std::mutex mu;
  static std::map<std::pair<std::string, size_t>, std::shared_ptr<const Terminology>> opened;
  std::lock_guard lock(mu);
  auto& slot = opened[{dir, max_expansion}];
  if (slot) return slot;
  auto t = std::shared_ptr<Terminology>(new Terminology());
  for (const char* f : {"valuesets.json", "v3-codesystems.json", "v2-tables.json"}) t->files_.push_back(dir + "/" + f);
  t->max_expansion_ = max_expansion;
  slot = t;
  return t;
}

std::shared_ptr<const Terminology> Terminology::from_bundles(const std::vector<std::string>& bundles,
                                                             size_t max_expansion) {
  auto t = std::shared_ptr<Terminology>(new Terminology());
  t->bundles_ = bundles;
  t->max_expansion_ = max_expansion;
  return t;
}

const Terminology::Data& Terminology::data() const {
  std::call_once(loaded_, [this] {
    auto d = std::make_unique<Data>();
    for (const auto& f : files_) {
      std::ifstream in(f, std::ios::binary);
      if (!in) continue;
      std::stringstream ss;
      ss << in.rdbuf();
      d->add_bundle(ss.str(), f);
    }
    for (size_t i = 0; i < bundles_.size(); ++i) d->add_bundle(bundles_[i], "bundle " + std::to_string(i));
    data_ = std::move(d);
  });
  return *data_;
}

namespace {

// One expansion in progress: resolves value sets and code systems, definitions first.
class Expander {
 public:
  Expander(const Terminology::Data& d, const TermLookup& lookup, size_t max, std::string& why)
      : d_(d), lookup_(lookup), max_(max), why_(why) {}

  std::optional<Expansion> value_set(const ValueSetDef& vs) {
    if (++depth_ > 16) {
      why_ = "value sets import each other too deeply (a cycle?)";
      return std::nullopt;
    }
    Expansion out;
    if (!vs.has_compose) {
      out = vs.contains;
    } else {
      for (const auto& rule : vs.include) {
        auto part = this->rule(rule);
        if (!part) return std::nullopt;
        unite(out, *part);
        if (out.size() > max_) {
          why_ = "its expansion has more than " + std::to_string(max_) + " codes";
          return std::nullopt;
        }
      }
      for (const auto& rule : vs.exclude) {
        auto part = this->rule(rule);
        if (!part || !subtract(out, *part, why_)) return std::nullopt;
      }
    }
    --depth_;
    return out;
  }

  std::optional<Expansion> value_set(std::string_view url) {
    url = without_version(url);
    if (auto it = d_.value_sets.find(url); it != d_.value_sets.end()) return value_set(it->second);
    if (lookup_)
      if (auto stored = lookup_("ValueSet", url)) {
        stored_keys.push_back(stored->key);
        json::Document doc;
        if (json::parse(stored->json, doc))
          if (auto vs = parse_value_set(doc)) return value_set(*vs);
      }
    why_ = "the value set " + std::string(url) + " is unknown";
    return std::nullopt;
  }

  // The definitions' code system, else a stored one.
  const CodeSystem* code_system(std::string_view url) {
    url = without_version(url);
    if (auto it = d_.code_systems.find(url); it != d_.code_systems.end()) return &it->second;
    if (!lookup_) return nullptr;
    auto stored = lookup_("CodeSystem", url);
    if (!stored) return nullptr;
    stored_keys.push_back(stored->key);
    json::Document doc;
    if (!json::parse(stored->json, doc)) return nullptr;
    auto cs = CodeSystem::parse(doc);
    if (!cs) return nullptr;
    held_.push_back(std::make_shared<const CodeSystem>(std::move(*cs)));
    return held_.back().get();
  }

  std::vector<std::string> stored_keys;  // stored resources the expansion read

 private:
  std::optional<Expansion> rule(const ComposeRule& r) {
    std::optional<Expansion> out;
    if (!r.system.empty()) {
      Expansion part;
      const CodeSystem* cs = r.concepts.empty() ? code_system(r.system) : nullptr;
      if (!r.concepts.empty()) {
        part.codes[r.system].insert(r.concepts.begin(), r.concepts.end());
      } else if (!r.filters.empty()) {
        if (cs == nullptr || !cs->complete) {  // e.g. SNOMED CT: its entry lists no codes
          why_ = "it filters " + r.system + ", a code system this server does not hold";
          return std::nullopt;
        }
        std::optional<std::set<std::string>> codes;
        for (const Filter& f : r.filters) {
          auto matched = filter(*cs, f);
          if (!matched) return std::nullopt;
          if (!codes) {
            codes = std::move(*matched);
          } else {
            std::erase_if(*codes, [&](const std::string& c) { return !matched->contains(c); });
          }
        }
        if (codes && !codes->empty()) part.codes[r.system] = std::move(*codes);
      } else if (cs != nullptr && cs->complete) {
        part.codes[r.system].insert(cs->codes.begin(), cs->codes.end());
      } else {
        part.whole_systems.insert(r.system);  // LOINC, SNOMED CT, ...: any code of the system
      }
      out = std::move(part);
    }
    for (const auto& url : r.value_sets) {
      auto vs = value_set(url);
      if (!vs) return std::nullopt;
      out = out ? intersect(*out, *vs) : std::move(*vs);
    }
    if (!out) out.emplace();
    return out;
  }

  std::optional<std::set<std::string>> filter(const CodeSystem& cs, const Filter& f) {
    std::set<std::string> out;
    const bool hierarchy = f.property == "concept" || f.property == "code";
    auto all_but = [&](const std::vector<std::string>& drop) {
      std::set<std::string> d(drop.begin(), drop.end());
      for (const auto& c : cs.codes)
        if (!d.contains(c)) out.insert(c);
    };
    if (hierarchy && f.op == "is-a") {
      for (auto& c : cs.descendants_or_self(f.value)) out.insert(std::move(c));
    } else if (hierarchy && f.op == "descendent-of") {
      for (auto& c : cs.descendants_or_self(f.value))
        if (c != f.value) out.insert(std::move(c));
    } else if (hierarchy && f.op == "is-not-a") {
      all_but(cs.descendants_or_self(f.value));
    } else if (hierarchy && f.op == "generalizes") {
      for (auto& c : cs.ancestors_or_self(f.value)) out.insert(std::move(c));
    } else if (hierarchy && f.op == "=") {
      out.insert(f.value);
    } else if (hierarchy && (f.op == "in" || f.op == "not-in")) {
      std::vector<std::string> listed;
      std::stringstream ss(f.value);
      for (std::string c; std::getline(ss, c, ',');) listed.push_back(c);
      if (f.op == "in") {
        out.insert(listed.begin(), listed.end());
      } else {
        all_but(listed);
      }
    } else {
      why_ = "its filter '" + f.property + " " + f.op + "' on " + cs.url + " is not supported";
      return std::nullopt;
    }
    return out;
  }

  const Terminology::Data& d_;
  const TermLookup& lookup_;
  size_t max_;
  std::string& why_;
  int depth_ = 0;
  std::vector<std::shared_ptr<const CodeSystem>> held_;
};

}  // namespace

std::shared_ptr<const Expansion> Terminology::expand(std::string_view url_in, const TermLookup& lookup,
                                                     std::string& why) const {
  const Data& d = data();
  const std::string url(without_version(url_in));
  // A definitions ValueSet that needs nothing stored is cached by url; a stored one by its
  // version, when it reads nothing else stored (which could change without it).
  std::string cache_key = url;
  std::optional<StoredTerm> stored;
  if (!d.value_sets.contains(url) && lookup) {
    stored = lookup("ValueSet", url);
    if (stored) cache_key = url + "\n" + stored->key;
  }
  {
    std::lock_guard lock(cache_mu_);
    if (auto it = cache_.find(cache_key); it != cache_.end()) return it->second;
  }
  Expander ex(d, lookup, max_expansion_, why);
  std::optional<Expansion> e;
  if (stored) {
    json::Document doc;
    std::optional<ValueSetDef> vs;
    if (json::parse(stored->json, doc)) vs = parse_value_set(doc);
    if (!vs) {
      why = "the stored value set " + url + " cannot be read";
      return nullptr;
    }
    e = ex.value_set(*vs);
  } else {
    e = ex.value_set(url);
  }
  if (!e) return nullptr;
  auto shared = std::make_shared<const Expansion>(std::move(*e));
  if (ex.stored_keys.empty()) {
    std::lock_guard lock(cache_mu_);
    if (cache_.size() >= 4096) cache_.clear();  // stored value sets come and go: keep it bounded
    cache_.emplace(cache_key, shared);
  }
  return shared;
}

const CodeSystem* Terminology::code_system(std::string_view url_in, const TermLookup& lookup,
                                           std::shared_ptr<const CodeSystem>& holder) const {
  const Data& d = data();
  const std::string_view url = without_version(url_in);
  if (auto it = d.code_systems.find(url); it != d.code_systems.end()) return &it->second;
  if (!lookup) return nullptr;
  auto stored = lookup("CodeSystem", url);
  if (!stored) return nullptr;
  json::Document doc;
  if (!json::parse(stored->json, doc)) return nullptr;
  auto cs = CodeSystem::parse(doc);
  if (!cs) return nullptr;
  holder = std::make_shared<const CodeSystem>(std::move(*cs));
  return holder.get();
}

}  // namespace healthd::search
