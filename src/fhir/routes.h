// The FHIR service's routes: path pattern, method, the data action a caller needs, and the
// interaction that handles it. The table is the one place that says what needs which permission;
// a unit test fails if a route declares none.
#pragma once

#include <string>
#include <vector>

#include "common/principal.h"
#include "common/request.h"

namespace healthd::fhir {

enum class Interaction {
  Capabilities,
  SmartConfiguration,
  Create,
  Read,
  VRead,
  Update,
  Delete,
  HistoryInstance,
  HistoryType,
  HistorySystem,
  Search,
  SearchSystem,
  SearchCompartment,  // [base]/Patient/[id]/[type]
  Bundle,
  Patch,
  Conditional,
  Operation,
};

struct RouteSpec {
  const char* name;     // metrics/log label, e.g. "fhir.read"
  const char* method;   // GET routes also answer HEAD
  const char* pattern;  // segments below the base: literals, {type}, {id}, {vid}, {op}; "" is the base
  DataAction action;    // what the caller needs; DataAction::None only together with open
  bool open;            // answered without a token
  Interaction interaction;
};

const std::vector<RouteSpec>& fhir_routes();

struct RouteMatch {
  const RouteSpec* route = nullptr;  // nullptr: no route (see allowed / not_found)
  std::string allowed;               // methods of routes whose pattern matched (for 405)
  // The data action this particular request needs (a route's action, plus e.g. HardDelete for
  // DELETE ?hardDelete=true).
  DataAction action = DataAction::None;
};

// The data action an operation needs ("$export" -> Export, "$validate" -> ResourceValidate, ...).
DataAction operation_action(std::string_view op);

// Matches the request's segments and method against the table.
RouteMatch match_fhir_route(const Request& req);

}  // namespace healthd::fhir
