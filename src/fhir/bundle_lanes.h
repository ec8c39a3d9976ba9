// Which entries of a batch may run at the same time. A batch's entries are independent by the spec,
// but two entries that touch the same resources would give answers that depend on their order, so
// those keep the Bundle's order. Entries are grouped into lanes; a lane runs its entries one after
// another in Bundle order, different lanes may run in parallel. Two entries share a lane when:
//   - both address the same instance (Type/id, any interaction) and one of them writes;
//   - one addresses a type as a whole (search, history, conditional create/update/patch/delete)
//     and the other touches that type, and one of them writes (a plain create counts as touching
//     its type: a search or a condition could see it);
//   - one is system-wide or an operation ($everything, system search or history, compartment
//     search, anything unrecognised) and the other writes, or it writes itself (then every entry
//     shares its lane);
//   - one's resource refers to the other's fullUrl or to the Type/id it writes.
// Plain creates of the same type, reads, and writes of different instances run in parallel.
#pragma once

#include <cstddef>
#include <vector>

#include "fhir/bundle_entries.h"
#include "fhir/definitions.h"

namespace healthd::fhir {

// The lanes of `entries` (nullptr: an entry refused while reading it, which runs alone): each a
// list of entry indexes in Bundle order; lanes ordered by their first entry.
std::vector<std::vector<size_t>> batch_lanes(const std::vector<const BundleEntry*>& entries, const Definitions& defs);

}  // namespace healthd::fhir
