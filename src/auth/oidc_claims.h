// Reading the claims of a validated access token: audience check and the Principal they describe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "common/principal.h"
#include "json/json.h"

namespace healthd::auth {

// A NumericDate claim (seconds since epoch; fractions dropped). nullopt when absent or not a number.
std::optional<int64_t> numeric_date_claim(const json::Value& claims, const char* name);
// A claim given as a JSON array of strings or as one space-separated string.
std::vector<std::string> string_list_claim(const json::Value& claims, const char* name);
// True when aud (a string or an array of strings) names at least one accepted audience.
bool audience_accepted(const json::Value& claims, const std::vector<std::string>& accepted);
// "https://x/fhir/Patient/123" or "Patient/123" (optionally with /_history/n) -> "123"; else "".
std::string patient_id_from_fhir_user(std::string_view fhir_user);
// Every Principal field but actions (those come from roles).
Principal principal_from_claims(const json::Value& claims);

}  // namespace healthd::auth
