#include "storage/unnamed_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>

#include "common/ids.h"

namespace healthd::storage {

int open_unnamed_file(const std::string& dir) {
  return ::open(dir.c_str(), O_WRONLY | O_TMPFILE | O_CLOEXEC, 0640);
}

namespace {

// linkat(fd, "", ..., AT_EMPTY_PATH) skips the /proc look-up but needs CAP_DAC_READ_SEARCH; without
// it the kernel answers ENOENT. Tried until that happens once.
std::atomic<bool> empty_path_allowed{true};

int link_through_proc(int fd, const std::string& path) {
  const std::string self = "/proc/self/fd/" + std::to_string(fd);
  return ::linkat(AT_FDCWD, self.c_str(), AT_FDCWD, path.c_str(), AT_SYMLINK_FOLLOW) == 0 ? 0 : errno;
}

}  // namespace

int link_unnamed_file(int fd, const std::string& path) {
  if (empty_path_allowed.load(std::memory_order_relaxed)) {
    if (::linkat(fd, "", AT_FDCWD, path.c_str(), AT_EMPTY_PATH) == 0) return 0;
    const int e = errno;
    if (e != ENOENT && e != EPERM) return e;
    // ENOENT: no privilege, or no folder for path; the /proc way tells which.
    const int again = link_through_proc(fd, path);
    if (again == 0) empty_path_allowed.store(false, std::memory_order_relaxed);
    return again;
  }
  return link_through_proc(fd, path);
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
