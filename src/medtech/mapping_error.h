// A problem found while loading a MedTech mapping (device mapping or FHIR destination mapping).
#pragma once

#include <cstddef>
#include <string>

namespace healthd::medtech {

struct MappingError {
  size_t line = 0;     // 1-based line in the mapping text; 0 when unknown
  size_t column = 0;   // 1-based column (bytes) in that line
  std::string path;    // JSON pointer of the offending value, e.g. "/template/2/template/typeName"
  std::string message;
};

// "line 4, column 7 (/template/0/template): required property 'typeName' is missing"
std::string to_string(const MappingError& e);

}  // namespace healthd::medtech
