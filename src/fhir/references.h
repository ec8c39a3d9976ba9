// The resources of this server a resource refers to through its reference search parameters: what
// _include follows and what $everything adds. Not a public header.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "json/json.h"

namespace healthd::search {
class SearchParameterRegistry;
}

namespace healthd::fhir {

class Definitions;

// ("Type", "id") of each local reference `resource` (of type `type`) makes through the reference
// parameter `param` ("*": every reference parameter of the type). Absolute references count when
// they start with base_url; contained, canonical and foreign references do not. May repeat.
std::vector<std::pair<std::string, std::string>> local_references(const search::SearchParameterRegistry& params,
                                                                  const Definitions& definitions,
                                                                  const std::string& type,
                                                                  const json::Value& resource,
                                                                  std::string_view param,
                                                                  std::string_view base_url);

}  // namespace healthd::fhir
