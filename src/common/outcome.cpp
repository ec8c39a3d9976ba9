#include "common/outcome.h"

#include "json/json.h"

namespace healthd {

std::string operation_outcome_json(const std::vector<Issue>& issues) {
  json::Document doc(rapidjson::kObjectType);
  auto& a = doc.GetAllocator();
  doc.AddMember("resourceType", "OperationOutcome", a);
  json::Value arr(rapidjson::kArrayType);
  for (const auto& is : issues) {
    json::Value o(rapidjson::kObjectType);
    o.AddMember("severity", json::str(is.severity, a), a);
    o.AddMember("code", json::str(is.code, a), a);
    if (!is.diagnostics.empty()) o.AddMember("diagnostics", json::str(is.diagnostics, a), a);
    if (!is.expression.empty()) {
      json::Value ex(rapidjson::kArrayType);
      for (const auto& e : is.expression) ex.PushBack(json::str(e, a), a);
      o.AddMember("expression", ex, a);
    }
    arr.PushBack(o, a);
  }
  doc.AddMember("issue", arr, a);
  return json::to_string(doc);
}

Response outcome_response(int status, const std::vector<Issue>& issues) {
  Response r;
  r.status = status;
  r.headers.set("Content-Type", "application/fhir+json; charset=utf-8");
  r.body = operation_outcome_json(issues);
  return r;
}

Response outcome_response(int status, std::string code, std::string diagnostics, std::string expression) {
  Issue is;
  is.severity = status >= 500 ? "fatal" : "error";
  is.code = std::move(code);
  is.diagnostics = std::move(diagnostics);
  if (!expression.empty()) is.expression.push_back(std::move(expression));
  return outcome_response(status, std::vector<Issue>{is});
}

}  // namespace healthd
