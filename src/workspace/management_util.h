// Helpers shared by the management API's files (management_api.cpp, management_iot.cpp).
#pragma once

#include <optional>
#include <string>

#include "common/request.h"
#include "json/json.h"

namespace healthd::workspace::mgmt {

Response labelled(Response r, const std::string& route);
Response json_response(int status, const json::Value& body);
Response method_not_allowed(const Request& req, const char* allow);
Response not_found(std::string message);
Response workspace_not_found(const std::string& ws);
Response bad_request(std::string message, std::string expression = {});
// Parses an optional {"properties": {...}} body (see management_api.cpp).
bool read_properties(const Request& req, json::Document& doc, const json::Value*& properties,
                     std::optional<Response>& error);
// "management.<what>.put|get|delete|other"
std::string verb_route(const std::string& what, const Request& req);

}  // namespace healthd::workspace::mgmt
