// Whole-file reads, the one way the code base reads a file into memory.
#pragma once

#include <string>

namespace healthd {

// The bytes of the file at path in out; false (out untouched) when it cannot be opened or read.
bool read_file(const std::string& path, std::string& out);

}  // namespace healthd
