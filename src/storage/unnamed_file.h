// Unnamed files (O_TMPFILE): written first, given a name only once they are wanted (linkat with
// AT_EMPTY_PATH where the process may, else through /proc/self/fd, which needs no privilege).
// One that is never linked vanishes with its last descriptor, crash included.
#pragma once

#include <string>

namespace healthd::storage {

// A new unnamed file in `dir`, open for writing; -1 with errno when not possible.
int open_unnamed_file(const std::string& dir);
// Gives the unnamed file `fd` the name `path`: 0, or the errno (EEXIST: `path` exists).
int link_unnamed_file(int fd, const std::string& path);
// Whether unnamed files can be made and linked in `dir` (file system, kernel, /proc).
bool can_link_unnamed_files(const std::string& dir);

}  // namespace healthd::storage
