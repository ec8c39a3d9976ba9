// The stored file is the uploaded bytes with the 128-byte preamble zeroed (a preamble can carry
// anything, e.g. a TIFF header or an executable; issue 6 asks for zeros).
#pragma once

#include <cstddef>
#include <string>

namespace healthd::dicom {

inline constexpr size_t kPreambleSize = 128;  // then "DICM"

// Overwrites bytes 0..127 of path with zeros, in place, after checking "DICM" at offset 128.
// Returns false with *error when the file is not a Part 10 file or cannot be written.
bool zero_preamble(const std::string& path, std::string* error = nullptr);

}  // namespace healthd::dicom
