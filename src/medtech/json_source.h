// A JSON text parsed together with the source position of every value (internal to src/medtech).
//
// Mapping validation reports line and column: RapidJSON's DOM keeps no positions, so a second
// scan of the validated text records where each value starts, keyed by its JSON pointer ("" for
// the root, "/template/0/typeName"). A leading UTF-8 byte order mark is skipped. Numbers are
// parsed with full precision (98.43639286275842 stays exactly that double).
#pragma once

#include <string>
#include <string_view>
#include <unordered_map>

#include "json/json.h"
#include "medtech/mapping_error.h"

namespace healthd::medtech {

class JsonSource {
 public:
  // False when the text is not JSON; error then holds the reason and its line/column.
  bool parse(std::string_view text, MappingError* error);

  const json::Document& document() const { return doc_; }

  // An error located at the value with this JSON pointer (or at its nearest recorded ancestor).
  MappingError error_at(const std::string& pointer, std::string message) const;

 private:
  void locate(size_t offset, size_t& line, size_t& column) const;

  std::string text_;
  json::Document doc_;
  std::unordered_map<std::string, size_t> offsets_;
};

// Appends a reference token to a JSON pointer, escaping '~' and '/'.
std::string pointer_append(const std::string& pointer, std::string_view token);
std::string pointer_append(const std::string& pointer, size_t index);

}  // namespace healthd::medtech
