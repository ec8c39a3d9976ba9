#include "fhir/value_set_catalog.h"

#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <unordered_set>
#include <vector>

#include "json/json.h"

namespace healthd::fhir {

namespace {

std::string_view sv(const json::Value& v) { return {v.GetString(), v.GetStringLength()}; }
std::string text_of(const json::Value& obj, const char* name) {
  auto s = json::get_string(obj, name);
  return s ? std::string(*s) : std::string();
}

struct Rule {
  std::string system;
  std::vector<std::string> concepts;
  std::vector<std::pair<std::string, std::string>> filters;  // op, value (property concept)
  std::vector<std::string> value_sets;
  bool unsupported_filter = false;
};

struct ValueSetDef {
  std::vector<Rule> include, exclude;
  std::vector<std::pair<std::string, std::string>> expansion;  // expansion.contains when no compose
  bool has_compose = false;
};

struct CodeSystemDef {
  bool complete = true;  // content complete: every code is listed
  std::vector<std::string> codes;
  std::unordered_map<std::string, std::vector<std::string>> children;  // is-a
};

std::string without_version(std::string_view url) { return std::string(url.substr(0, url.find('|'))); }

void add_concepts(const json::Value& list, const std::string& parent, CodeSystemDef& cs) {
  for (const auto& c : list.GetArray()) {
    if (!c.IsObject()) continue;
    std::string code = text_of(c, "code");
    if (code.empty()) continue;
    cs.codes.push_back(code);
    if (!parent.empty()) cs.children[parent].push_back(code);
    if (const json::Value* nested = json::get_member(c, "concept"); nested && nested->IsArray())
      add_concepts(*nested, code, cs);
    // `parent`/`subsumedBy` properties (flat hierarchies such as v3 code systems)
    if (const json::Value* props = json::get_member(c, "property"); props && props->IsArray())
      for (const auto& p : props->GetArray()) {
        std::string name = text_of(p, "code");
        if (name == "parent" || name == "subsumedBy") {
          std::string up = text_of(p, "valueCode");
          if (!up.empty()) cs.children[up].push_back(code);
        }
      }
  }
}

Rule parse_rule(const json::Value& r) {
  Rule rule;
  rule.system = text_of(r, "system");
  if (const json::Value* cs = json::get_member(r, "concept"); cs && cs->IsArray())
    for (const auto& c : cs->GetArray()) rule.concepts.push_back(text_of(c, "code"));
  if (const json::Value* fs = json::get_member(r, "filter"); fs && fs->IsArray())
    for (const auto& f : fs->GetArray()) {
      std::string op = text_of(f, "op"), prop = text_of(f, "property");
      if ((op == "is-a" || op == "descendent-of") && (prop == "concept" || prop.empty()))
        rule.filters.emplace_back(op, text_of(f, "value"));
      else
        rule.unsupported_filter = true;
    }
  if (const json::Value* vs = json::get_member(r, "valueSet"); vs && vs->IsArray())
    for (const auto& v : vs->GetArray())
      if (v.IsString()) rule.value_sets.push_back(without_version(sv(v)));
  return rule;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

struct ValueSetCatalog::Data {
  std::unordered_map<std::string, ValueSetDef> value_sets;
  std::unordered_map<std::string, CodeSystemDef> code_systems;
};

// The codes of a value set per system; nullptr when it cannot be expanded here.
struct ValueSetCatalog::Expansion {
  std::unordered_map<std::string, std::unordered_set<std::string>> codes;
};

ValueSetCatalog::ValueSetCatalog(std::string dir) : dir_(std::move(dir)) {}
ValueSetCatalog::~ValueSetCatalog() = default;

std::shared_ptr<const ValueSetCatalog> ValueSetCatalog::open(const std::string& definitions_dir) {
  static std::mutex mu;
  static std::map<std::string, std::shared_ptr<const ValueSetCatalog>> catalogs;
  std::lock_guard lock(mu);
  auto& c = catalogs[definitions_dir];
  if (!c) c.reset(new ValueSetCatalog(definitions_dir));
  return c;
}

const ValueSetCatalog::Data& ValueSetCatalog::data() const {
  std::call_once(loaded_, [this] {
    auto d = std::make_unique<Data>();
    for (const char* file : {"valuesets.json", "v3-codesystems.json", "v2-tables.json"}) {
      std::string text = read_file(dir_ + "/" + file);
      json::Document doc;
      if (text.empty() || !json::parse(text, doc) || !doc.IsObject()) continue;  // a missing file counts as empty
      const json::Value* entries = json::get_member(doc, "entry");
      if (!entries || !entries->IsArray()) continue;
      for (const auto& e : entries->GetArray()) {
        const json::Value* r = e.IsObject() ? json::get_member(e, "resource") : nullptr;
        if (!r || !r->IsObject()) continue;
        std::string type = text_of(*r, "resourceType"), url = text_of(*r, "url");
        if (url.empty()) continue;
        if (type == "CodeSystem") {
          CodeSystemDef cs;
          cs.complete = text_of(*r, "content") == "complete";
          if (const json::Value* concepts = json::get_member(*r, "concept"); concepts && concepts->IsArray())
            add_concepts(*concepts, "", cs);
          d->code_systems.emplace(url, std::move(cs));
        } else if (type == "ValueSet") {
          ValueSetDef vs;
          if (const json::Value* compose = json::get_member(*r, "compose"); compose && compose->IsObject()) {
            vs.has_compose = true;
            if (const json::Value* inc = json::get_member(*compose, "include"); inc && inc->IsArray())
              for (const auto& i : inc->GetArray()) vs.include.push_back(parse_rule(i));
            if (const json::Value* exc = json::get_member(*compose, "exclude"); exc && exc->IsArray())
              for (const auto& i : exc->GetArray()) vs.exclude.push_back(parse_rule(i));
          }
          if (const json::Value* ex = json::get_member(*r, "expansion"); ex && ex->IsObject())
            if (const json::Value* contains = json::get_member(*ex, "contains"); contains && contains->IsArray())
              for (const auto& c : contains->GetArray()) vs.expansion.emplace_back(text_of(c, "system"), text_of(c, "code"));
          d->value_sets.emplace(url, std::move(vs));
        }
      }
    }
    data_ = std::move(d);
  });
  return *data_;
}

std::shared_ptr<const ValueSetCatalog::Expansion> ValueSetCatalog::expansion(const std::string& url, int depth) const {
  {
    std::lock_guard lock(mu_);
    if (auto it = cache_.find(url); it != cache_.end()) return it->second;
  }
  const Data& d = data();
  std::shared_ptr<Expansion> out;
  auto vs = d.value_sets.find(url);
  if (vs != d.value_sets.end() && depth < 8) {
    out = std::make_shared<Expansion>();
    const ValueSetDef& def = vs->second;
    // The codes a rule selects; false when it cannot be expanded here.
    auto select = [&](const Rule& rule, std::unordered_map<std::string, std::unordered_set<std::string>>& into) {
      if (rule.unsupported_filter) return false;
      std::unordered_map<std::string, std::unordered_set<std::string>> picked;
      if (!rule.system.empty()) {
        auto& codes = picked[rule.system];
        auto cs = d.code_systems.find(rule.system);
        if (!rule.concepts.empty()) {
          codes.insert(rule.concepts.begin(), rule.concepts.end());
        } else if (cs == d.code_systems.end() || !cs->second.complete) {
          return false;  // a whole system this server does not hold (UCUM, currencies, LOINC)
        } else if (rule.filters.empty()) {
          codes.insert(cs->second.codes.begin(), cs->second.codes.end());
        } else {
          // is-a: the code and everything below it; descendent-of: below only. Filters AND together.
          bool first = true;
          for (const auto& [op, value] : rule.filters) {
            std::unordered_set<std::string> below;
            std::vector<std::string> todo{value};
            while (!todo.empty()) {
              std::string c = std::move(todo.back());
              todo.pop_back();
              if (!below.insert(c).second) continue;
              if (auto ch = cs->second.children.find(c); ch != cs->second.children.end())
                todo.insert(todo.end(), ch->second.begin(), ch->second.end());
            }
            if (op == "descendent-of") below.erase(value);
            if (first) codes = std::move(below);
            else std::erase_if(codes, [&](const std::string& c) { return !below.count(c); });
            first = false;
          }
        }
      }
      for (const auto& other : rule.value_sets) {
        auto e = expansion(other, depth + 1);
        if (!e) return false;
        if (rule.system.empty() && picked.empty()) {
          picked = e->codes;
        } else {  // system and value sets: the intersection
          for (auto& [system, codes] : picked) {
            auto it = e->codes.find(system);
            if (it == e->codes.end()) codes.clear();
            else std::erase_if(codes, [&](const std::string& c) { return !it->second.count(c); });
          }
        }
      }
      for (auto& [system, codes] : picked) into[system].insert(codes.begin(), codes.end());
      return true;
    };
    bool ok = true;
    if (def.has_compose) {
      for (const auto& rule : def.include) ok = ok && select(rule, out->codes);
      std::unordered_map<std::string, std::unordered_set<std::string>> excluded;
      for (const auto& rule : def.exclude) ok = ok && select(rule, excluded);
      for (const auto& [system, codes] : excluded)
        if (auto it = out->codes.find(system); it != out->codes.end())
          for (const auto& c : codes) it->second.erase(c);
    } else if (!def.expansion.empty()) {
      for (const auto& [system, code] : def.expansion) out->codes[system].insert(code);
    } else {
      ok = false;
    }
    if (!ok) out.reset();
  }
  std::lock_guard lock(mu_);
  cache_[url] = out;
  return out;
}

std::optional<bool> ValueSetCatalog::contains(std::string_view value_set, std::string_view system,
                                              std::string_view code) const {
  auto e = expansion(without_version(value_set), 0);
  if (!e) return std::nullopt;
  std::string c(code);
  if (system.empty()) {
    for (const auto& [s, codes] : e->codes)
      if (codes.count(c)) return true;
    return false;
  }
  auto it = e->codes.find(std::string(system));
  return it != e->codes.end() && it->second.count(c) > 0;
}

}  // namespace healthd::fhir
