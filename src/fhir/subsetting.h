// Subsetted resources: _summary (true, text, data) and _elements, on search and read. A subsetted
// resource carries the SUBSETTED tag (system v3-ObservationValue) in meta.tag, as R4 asks.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/request.h"
#include "fhir/definitions.h"

namespace healthd::fhir {

enum class SummaryMode { False, True, Text, Data, Count };

// "true" -> True ...; nullopt for an unknown value.
std::optional<SummaryMode> parse_summary(std::string_view value);

struct Subsetting {
  SummaryMode summary = SummaryMode::False;
  std::vector<std::string> elements;  // _elements: top-level element names kept

  bool active() const { return !elements.empty() || summary == SummaryMode::True || summary == SummaryMode::Text ||
                               summary == SummaryMode::Data; }
};

// The resource JSON reduced as `s` asks (the text itself when nothing is to be removed or it is not
// a JSON object):
//   true: the elements marked isSummary in the R4 definitions (within backbone elements too), plus
//         id, meta and the mandatory ones;  text: text, id, meta and the mandatory top-level
//         elements;  data: everything but text;  _elements: the named top-level elements, id, meta.
std::string subset_resource(const Definitions& defs, const std::string& json_text, const Subsetting& s);

// A read answer (200 with a resource body) subsetted when the request has _summary or _elements;
// a 400 answer instead when their value is invalid. Cheap when neither is present.
std::optional<Response> subset_read(const Definitions& defs, const Request& req, Response& r);

}  // namespace healthd::fhir
