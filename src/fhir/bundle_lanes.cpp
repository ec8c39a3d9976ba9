#include "fhir/bundle_lanes.h"

#include <algorithm>
#include <cstdint>
#include <numeric>
#include <string>
#include <unordered_map>

#include "fhir/bundle_references.h"

namespace healthd::fhir {

namespace {

bool writes(const BundleEntry& e) { return e.method != "GET" && e.method != "HEAD"; }

// What an entry addresses.
struct Scope {
  enum Kind { Instance, Type, Create, Global } kind = Global;
  std::string type, id;
};

Scope scope_of(const BundleEntry& e, const Definitions& defs) {
  const auto& s = e.segments;
  Scope out;
  if (s.empty() || !defs.is_resource_type(s[0])) return out;  // system level, or nothing this service has
  out.type = s[0];
  const bool plain_id = s.size() >= 2 && !s[1].empty() && s[1][0] != '_' && s[1][0] != '$';
  if (s.size() == 1 || (s.size() == 2 && (s[1] == "_history" || s[1] == "_search"))) {
    const bool conditional = e.has_query || e.headers.has("If-None-Exist");
    out.kind = e.method == "POST" && !conditional ? Scope::Create : Scope::Type;
    return out;
  }
  // Type/id, Type/id/_history, Type/id/_history/vid: one instance; anything else (operations,
  // compartment searches) reads or writes more than it names.
  if (plain_id && (s.size() == 2 || (s[2] == "_history" && s.size() <= 4))) {
    out.kind = Scope::Instance;
    out.id = s[1];
    return out;
  }
  out.type.clear();
  return out;
}

struct UnionFind {
  std::vector<size_t> parent;
  explicit UnionFind(size_t n) : parent(n) { std::iota(parent.begin(), parent.end(), 0); }
  size_t find(size_t i) {
    while (parent[i] != i) i = parent[i] = parent[parent[i]];
    return i;
  }
  void join(size_t a, size_t b) {
    a = find(a);
    b = find(b);
    if (a != b) parent[std::max(a, b)] = std::min(a, b);
  }
};

// Entries that touch one thing: joined into one lane when any of them writes.
struct Group {
  std::vector<size_t> members;
  bool written = false;
};

}  // namespace

std::vector<std::vector<size_t>> batch_lanes(const std::vector<const BundleEntry*>& entries, const Definitions& defs) {
  const size_t n = entries.size();
  std::vector<Scope> scopes(n);
  std::unordered_map<std::string, Group> groups;  // "I:Type/id", "T:Type", "G"
  std::unordered_map<std::string, size_t> types_addressed;  // types with a Type-scope entry
  bool global = false, global_write = false;  // a system-wide or operation entry (that writes)
  for (size_t i = 0; i < n; ++i) {
    if (!entries[i]) continue;
    scopes[i] = scope_of(*entries[i], defs);
    if (scopes[i].kind == Scope::Type) types_addressed.emplace(scopes[i].type, i);
    if (scopes[i].kind == Scope::Global) {
      global = true;
      global_write = global_write || writes(*entries[i]);
    }
  }
  auto add = [&](const std::string& key, size_t i) {
    Group& g = groups[key];
    g.members.push_back(i);
    g.written = g.written || writes(*entries[i]);
  };
  // fullUrls and written Type/ids, for references between entries.
  std::unordered_map<std::string, size_t> named;
  for (size_t i = 0; i < n; ++i) {
    if (!entries[i]) continue;
    const Scope& sc = scopes[i];
    if (!entries[i]->full_url.empty()) named.emplace(entries[i]->full_url, i);
    if (sc.kind == Scope::Instance) {
      add("I:" + sc.type + "/" + sc.id, i);
      if (writes(*entries[i])) named.emplace(sc.type + "/" + sc.id, i);
    }
    if (sc.kind != Scope::Global && types_addressed.count(sc.type)) add("T:" + sc.type, i);
    if (global_write || (global && (sc.kind == Scope::Global || writes(*entries[i])))) add("G", i);
  }

  UnionFind lanes(n);
  for (const auto& [key, g] : groups)
    if (g.written)
      for (size_t m : g.members) lanes.join(g.members[0], m);
  if (!named.empty()) {
    json::Document scratch;  // the resolver never replaces anything: nothing is allocated
    for (size_t i = 0; i < n; ++i) {
      if (!entries[i] || !entries[i]->resource) continue;
      rewrite_references(*entries[i]->resource, scratch.GetAllocator(), defs,
                         [&](std::string_view value, ReferenceSite) -> std::optional<std::string> {
                           auto it = named.find(std::string(value));
                           if (it != named.end()) lanes.join(i, it->second);
                           return std::nullopt;
                         });
    }
  }

  std::vector<std::vector<size_t>> out;
  std::vector<size_t> lane_of_root(n, SIZE_MAX);
  for (size_t i = 0; i < n; ++i) {
    size_t root = lanes.find(i);
    if (lane_of_root[root] == SIZE_MAX) {
      lane_of_root[root] = out.size();
      out.emplace_back();
    }
    out[lane_of_root[root]].push_back(i);
  }
  return out;
}

}  // namespace healthd::fhir
