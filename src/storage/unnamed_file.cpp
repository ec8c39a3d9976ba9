#include "storage/unnamed_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>

#include "common/ids.h"

namespace healthd::storage {

int open_unnamed_file(const std::string& dir) {
  return ::open(dir.c_str(), O_WRONLY | O_TMPFILE | O_CLOEXEC, 0640);
}

int link_unnamed_file(int fd, const std::string& path) {
  const std::string self = "/proc/self/fd/" + std::to_string(fd);
  return ::linkat(AT_FDCWD, self.c_str(), AT_FDCWD, path.c_str(), AT_SYMLINK_FOLLOW) == 0 ? 0 : errno;
}

bool can_link_unnamed_files(const std::string& dir) {
  const int fd = open_unnamed_file(dir);
  if (fd < 0) return false;
  const std::string probe = dir + "/" + new_uuid() + ".probe";
  const bool linked = link_unnamed_file(fd, probe) == 0;
  ::close(fd);
  if (linked) ::unlink(probe.c_str());
  return linked;
}

}  // namespace healthd::storage
