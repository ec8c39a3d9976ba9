// Runs the lanes of a batch (bundle_lanes.h): each lane's entries one after another, different
// lanes on free workers of the server's pool (Request::run_on_pool) next to the calling thread.
#pragma once

#include <cstddef>
#include <functional>
#include <vector>

#include "common/request.h"

namespace healthd::fhir {

// Calls run_entry(i) for every entry of every lane and returns when all are done. At most
// `parallelism` lanes run at once; the calling thread takes lanes too, so a saturated pool (or
// none) only means fewer helpers, never a wait for one. run_entry must not throw; calls for
// different lanes may run concurrently.
void run_lanes(const Request& req, int parallelism, const std::vector<std::vector<size_t>>& lanes,
               const std::function<void(size_t)>& run_entry);

}  // namespace healthd::fhir
