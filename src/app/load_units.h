// `healthd load`: what to send for each input file. A .json file is one Bundle (transaction or
// batch, sent as it is; a single resource becomes a one-entry transaction); an .ndjson file is
// cut into transactions of up to `batch` resources (PUT Type/id when the line has an id, else POST).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace healthd::app {

struct LoadUnit {
  std::string file;       // the input file it comes from
  size_t part = 0;        // 0.. within the file
  std::string body;       // the Bundle to POST (what was stored is counted from the answer)
};

// Input files under the paths (directories recursively: *.json and *.ndjson, sorted by name).
// Throws std::runtime_error naming a path that does not exist.
std::vector<std::string> load_input_files(const std::vector<std::string>& paths);

// The requests of one file; an error text instead when it cannot be read or is not FHIR JSON.
struct FileUnits {
  std::vector<LoadUnit> units;
  std::string error;
};
FileUnits load_file_units(const std::string& file, size_t batch);

}  // namespace healthd::app
