#include "fhir/routes.h"

#include "common/request.h"

namespace healthd::fhir {

const std::vector<RouteSpec>& fhir_routes() {
  using A = DataAction;
  using I = Interaction;
  // Literal patterns come before {type}/{id} ones: the first match wins.
  static const std::vector<RouteSpec> routes = {
      {"fhir.metadata", "GET", "metadata", A::None, true, I::Capabilities},
      {"fhir.smart-configuration", "GET", ".well-known/smart-configuration", A::None, true, I::SmartConfiguration},
      // A batch or transaction: the floor is read; each entry is checked for its own action (bundle.cpp).
      {"fhir.bundle", "POST", "", A::Read, false, I::Bundle},
      {"fhir.search-system", "GET", "", A::Read, false, I::SearchSystem},
      {"fhir.history-system", "GET", "_history", A::Read, false, I::HistorySystem},
      {"fhir.search-system", "POST", "_search", A::Read, false, I::SearchSystem},
      {"fhir.create", "POST", "{type}", A::Write, false, I::Create},
      {"fhir.search", "GET", "{type}", A::Read, false, I::Search},
      {"fhir.conditional", "PUT", "{type}", A::Write, false, I::Conditional},
      {"fhir.conditional", "PATCH", "{type}", A::Write, false, I::Conditional},
      {"fhir.conditional", "DELETE", "{type}", A::Delete, false, I::Conditional},
      {"fhir.history-type", "GET", "{type}/_history", A::Read, false, I::HistoryType},
      {"fhir.search", "POST", "{type}/_search", A::Read, false, I::Search},
      {"fhir.read", "GET", "{type}/{id}", A::Read, false, I::Read},
      {"fhir.update", "PUT", "{type}/{id}", A::Write, false, I::Update},
      {"fhir.delete", "DELETE", "{type}/{id}", A::Delete, false, I::Delete},
      {"fhir.patch", "PATCH", "{type}/{id}", A::Write, false, I::Patch},
      {"fhir.history-instance", "GET", "{type}/{id}/_history", A::Read, false, I::HistoryInstance},
      {"fhir.vread", "GET", "{type}/{id}/_history/{vid}", A::Read, false, I::VRead},
      {"fhir.search-compartment", "GET", "{type}/{id}/{ctype}", A::Read, false, I::SearchCompartment},
      {"fhir.validate", "POST", "{type}/$validate", A::ResourceValidate, false, I::Operation},
      {"fhir.validate", "GET", "{type}/{id}/$validate", A::ResourceValidate, false, I::Operation},
      {"fhir.validate", "POST", "{type}/{id}/$validate", A::ResourceValidate, false, I::Operation},
      // Operations: the action named here is the floor; operation_action() names the real one.
      {"fhir.operation", "GET", "{op}", A::Read, false, I::Operation},
      {"fhir.operation", "POST", "{op}", A::Read, false, I::Operation},
      {"fhir.operation", "GET", "{type}/{op}", A::Read, false, I::Operation},
      {"fhir.operation", "POST", "{type}/{op}", A::Read, false, I::Operation},
      {"fhir.operation", "GET", "{type}/{id}/{op}", A::Read, false, I::Operation},
      {"fhir.operation", "POST", "{type}/{id}/{op}", A::Read, false, I::Operation},
  };
  return routes;
}

namespace {

// The route patterns split into segments once.
const std::vector<std::vector<std::string>>& split_patterns() {
  static const std::vector<std::vector<std::string>> parts = [] {
    std::vector<std::vector<std::string>> out;
    for (const auto& r : fhir_routes()) out.push_back(split_path(r.pattern));
    return out;
  }();
  return parts;
}

// Does the pattern match the segments? {op} only matches "$name".
bool matches(const std::vector<std::string>& parts, const std::vector<std::string>& seg) {
  if (parts.size() != seg.size()) return false;
  for (size_t i = 0; i < parts.size(); ++i) {
    const std::string& p = parts[i];
    if (p == "{op}") {
      if (!seg[i].starts_with("$")) return false;
    } else if (p == "{type}" || p == "{id}" || p == "{vid}" || p == "{ctype}") {
      // A literal that another route owns is not a type or an id.
      if (seg[i] == "_history" || seg[i] == "_search" || seg[i] == "metadata" || seg[i].starts_with("$")) return false;
    } else if (p != seg[i]) {
      return false;
    }
  }
  return true;
}

}  // namespace

DataAction operation_action(std::string_view op) {
  using A = DataAction;
  if (op == "$validate") return A::ResourceValidate;
  if (op == "$export") return A::Export;
  if (op == "$import") return A::Import;
  if (op == "$reindex") return A::Reindex;
  if (op == "$convert-data") return A::ConvertData;
  if (op == "$purge-history") return A::HardDelete;
  if (op == "$bulk-delete") return A::BulkOperator;
  if (op == "$meta-add" || op == "$meta-delete") return A::Write;
  // $everything, $meta, $member-match and operations not known yet: reading.
  return A::Read;
}

RouteMatch match_fhir_route(const Request& req) {
  RouteMatch m;
  std::string_view method = req.method == "HEAD" ? std::string_view("GET") : std::string_view(req.method);
  const auto& routes = fhir_routes();
  const auto& patterns = split_patterns();
  for (size_t i = 0; i < routes.size(); ++i) {
    const RouteSpec& r = routes[i];
    if (!matches(patterns[i], req.segments)) continue;
    if (method == r.method) {
      m.route = &r;
      m.action = r.action;
      if (r.interaction == Interaction::Delete) {
        auto hard = req.param("hardDelete");
        if (hard && *hard == "true") m.action = DataAction::HardDelete;
      }
      if (r.interaction == Interaction::Operation) m.action = operation_action(req.segments.back());
      return m;
    }
    if (m.allowed.find(r.method) == std::string::npos) m.allowed += (m.allowed.empty() ? "" : ", ") + std::string(r.method);
  }
  return m;
}

}  // namespace healthd::fhir
