#include "fhir/search_contained.h"

#include "json/json.h"
#include "search/index_values.h"
#include "search/match.h"
#include "search/search_parameters.h"

namespace healthd::fhir {

namespace {

// The clause on a container that means `c` on one of its contained resources of `type`.
std::optional<std::string> rename(SearchClause& c, const std::string& type) {
  if (c.has || !c.chain.empty()) return "chains and _has cannot be combined with _contained";
  if (c.param == "_lastUpdated") return "_lastUpdated cannot be combined with _contained (contained resources have none)";
  for (auto& g : c.groups)
    for (auto& inner : g.clauses)
      if (auto why = rename(inner, type)) return why;
  if (!c.groups.empty()) return std::nullopt;
  if (c.param == "_id") {
    // The local id, indexed as a token.
    c.kind = IndexRow::Kind::Token;
    for (auto& p : c.any_of) p.kind = SearchPredicate::Kind::Token;
  }
  c.param = contained_param(type, c.param);
  for (auto& extra : c.also_params) extra = contained_param(type, extra);
  return std::nullopt;
}

}  // namespace

std::optional<std::string> contained_query(const Definitions& definitions, ParsedSearch& parsed) {
  SearchQuery& q = parsed.query;
  if (q.type.empty()) return "_contained applies to a search of one resource type";
  if (!q.sort.empty()) return "_sort cannot be combined with _contained (the sort keys are the container's)";
  std::vector<SearchClause> renamed = q.clauses;
  for (auto& c : renamed)
    if (auto why = rename(c, q.type)) return why;
  // Only containers holding a resource of the type.
  SearchClause holds;
  holds.param = contained_param(q.type, "_id");
  holds.kind = IndexRow::Kind::Token;
  holds.missing = false;
  renamed.push_back(std::move(holds));
  std::vector<SearchFilter> filters;
  if (parsed.contained == ParsedSearch::Contained::Both) filters.push_back({q.type, q.clauses});
  for (const std::string& t : definitions.resource_types()) filters.push_back({t, renamed});
  q.types = std::move(filters);
  q.clauses.clear();
  q.type.clear();
  return std::nullopt;
}

std::vector<ContainedMatch> matching_contained(const ParsedSearch& parsed, const SearchContext& ctx,
                                               const std::string& type, const std::string& container_json) {
  std::vector<ContainedMatch> out;
  json::Document doc;
  if (!json::parse(container_json, doc) || !doc.IsObject()) return out;
  const json::Value* contained = json::get_member(doc, "contained");
  if (contained == nullptr || !contained->IsArray()) return out;
  search::MatchOptions options;
  options.base_url = ctx.base_url;
  for (const auto& inner : contained->GetArray()) {
    if (!inner.IsObject() || json::get_string(inner, "resourceType").value_or("") != type) continue;
    const std::string local_id(json::get_string(inner, "id").value_or(""));
    fhirpath::EvalContext ectx;
    ectx.definitions = ctx.definitions;
    ectx.resource = &inner;
    bool all = true;
    for (const auto& [name, value] : parsed.matched) {
      std::string_view code = name, modifier;
      if (auto colon = code.find(':'); colon != std::string_view::npos) {
        modifier = code.substr(colon + 1);
        code = code.substr(0, colon);
      }
      if (code == "_id") {
        bool any = false;
        for (std::string_view v : search::split_escaped(value, ',')) any = any || search::unescape(v) == local_id;
        all = modifier == "not" ? !any : any;
      } else if (const search::SearchParam* sp = ctx.params ? ctx.params->find(type, code) : nullptr;
                 sp != nullptr && search::supported(*sp, modifier)) {
        all = search::matches(*sp, search::extract(*sp, inner, ectx), modifier, value, options);
      }
      if (!all) break;
    }
    if (all) out.push_back({local_id, json::to_string(inner)});
  }
  return out;
}

}  // namespace healthd::fhir
