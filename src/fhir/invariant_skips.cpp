// The base R4 invariants healthd does not evaluate, and why. $validate reports each as an
// information issue ("not checked") instead of guessing; tests/unit/fhir/invariants_test.cpp
// checks that every other base invariant parses and evaluates.
#include <array>
#include <utility>

#include "fhir/invariants.h"

namespace healthd::fhir {

std::optional<std::string_view> invariant_skip_reason(std::string_view key) {
  static constexpr std::array<std::pair<std::string_view, std::string_view>, 0> kSkips = {{}};
  for (const auto& [k, why] : kSkips)
    if (k == key) return why;
  return std::nullopt;
}

}  // namespace healthd::fhir
