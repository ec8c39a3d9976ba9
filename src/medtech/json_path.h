// JSONPath over RapidJSON: RFC 9535, plus the Newtonsoft.Json (SelectTokens) behaviours Azure
// MedTech device mappings rely on.
//
//   auto path = JsonPath::parse("$..[?(@heartRate)]", &err);   // once, when a template is loaded
//   std::vector<const json::Value*> nodes = path->select(message);  // per message
//
// Parse once, evaluate many times: a JsonPath is immutable and can be shared between threads.
// Selection never copies: the results point into the document, which must outlive them.
//
// Differences from RFC 9535 (each because MedTech mappings are written for Newtonsoft):
//   - `@name` in a filter means `@.name` (`$..[?(@heartRate && @endDate)]`);
//   - member names in dot notation may contain '-' after the first character
//     (`$.SystemProperties.iothub-connection-device-id`);
//   - a descendant filter `..[?f]` also tests the node the descent starts from, so
//     `$..[?(@heartRate)]` matches a message whose top level has heartRate.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "json/json.h"
#include "medtech/expression_error.h"

namespace healthd::medtech {

namespace jsonpath {
struct Query;
}

class JsonPath {
 public:
  // nullopt when text is not a valid expression; error then says why and where.
  static std::optional<JsonPath> parse(std::string_view text, ExpressionError* error = nullptr);

  // Appends the selected nodes to out, in the order RFC 9535 defines.
  void select(const json::Value& root, std::vector<const json::Value*>& out) const;
  std::vector<const json::Value*> select(const json::Value& root) const;
  // The first selected node, or nullptr.
  const json::Value* select_first(const json::Value& root) const;

  // True when the query can select at most one node (only names and indices, no descent).
  bool singular() const;
  const std::string& text() const { return text_; }

 private:
  std::string text_;
  std::shared_ptr<const jsonpath::Query> query_;
};

}  // namespace healthd::medtech
