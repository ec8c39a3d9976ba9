// OperationOutcome: the error body of every failed request, anywhere in healthd.
#pragma once

#include <string>
#include <vector>

#include "common/request.h"

namespace healthd {

struct Issue {
  std::string severity = "error";  // fatal | error | warning | information
  std::string code;                // FHIR issue-type code: invalid, not-found, processing, ...
  std::string diagnostics;
  std::vector<std::string> expression;  // FHIRPath of the element concerned
};

std::string operation_outcome_json(const std::vector<Issue>& issues);

// A complete error response: status, application/fhir+json OperationOutcome body.
Response outcome_response(int status, std::string code, std::string diagnostics, std::string expression = {});
Response outcome_response(int status, const std::vector<Issue>& issues);

}  // namespace healthd
