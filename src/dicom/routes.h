// The DICOM service's routes (below the version prefix /v1 or /v2): method, pattern, the data
// action a caller needs, and the handler. The one place that says which route needs which
// permission; every route declares one.
#pragma once

#include <string>
#include <vector>

#include "common/principal.h"
#include "common/request.h"

namespace healthd::dicom {

enum class Handler {
  Store,            // STOW-RS
  Search,           // QIDO-RS
  Retrieve,         // WADO-RS study / series / instance
  Metadata,         // WADO-RS .../metadata
  Frames,           // WADO-RS .../frames/{list}
  Bulkdata,         // WADO-RS .../bulkdata/{path}
  Rendered,         // WADO-RS .../rendered, .../frames/{n}/rendered
  Delete,
  ChangeFeed,
  ChangeFeedLatest,
  ExtendedQueryTags,  // add, list, get, delete, update, errors
  Operation,          // long-running operations (re-indexing)
};

struct DicomRoute {
  const char* name;     // metrics/log label, e.g. "dicom.stow"
  const char* method;   // GET routes also answer HEAD
  const char* pattern;  // literals, {study} {series} {instance} {frames}; a trailing {path*} takes the rest
  DataAction action;
  Handler handler;
};

const std::vector<DicomRoute>& dicom_routes();

struct DicomRouteMatch {
  const DicomRoute* route = nullptr;  // nullptr: no route (see allowed)
  std::string allowed;                // methods of routes whose pattern matched (for 405)
  bool versioned = false;             // segments start with v1 or v2
};

// Matches request.segments (which start with the version) against the table.
DicomRouteMatch match_dicom_route(const Request& request);

}  // namespace healthd::dicom
