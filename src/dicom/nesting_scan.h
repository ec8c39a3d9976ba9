// Internal to src/dicom: DCMTK parses nested sequences recursively, about 1.2 KB of stack per
// level, without a limit: a 160 KB upload of 10,000 nested sequences overflows an 8 MB stack.
// This scan walks the element headers of a Part 10 file (values are skipped, never read) and
// refuses deeper nesting before DCMTK sees the file.
#pragma once

#include <string>
#include <string_view>

namespace healthd::dicom::detail {

// False with *error when sequences nest deeper than max_depth or the structure is broken.
// True when the file is not a Part 10 file at all: DCMTK then says why.
bool nesting_within(const std::string& path, int max_depth, std::string* error);
// The same for a Part 10 file in memory.
bool nesting_within(std::string_view bytes, int max_depth, std::string* error);

}  // namespace healthd::dicom::detail
