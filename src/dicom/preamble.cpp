#include "dicom/preamble.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace healthd::dicom {

namespace {

bool fail(std::string* error, std::string why) {
  if (error) *error = std::move(why);
  return false;
}

}  // namespace

bool zero_preamble(const std::string& path, std::string* error) {
  int fd = ::open(path.c_str(), O_RDWR | O_CLOEXEC);
  if (fd < 0) return fail(error, path + ": " + std::strerror(errno));
  char magic[4];
  bool ok = ::pread(fd, magic, sizeof magic, kPreambleSize) == 4 && std::memcmp(magic, "DICM", 4) == 0;
  if (!ok) {
    ::close(fd);
    return fail(error, path + ": not a DICOM Part 10 file (no \"DICM\" at offset 128)");
  }
  char zeros[kPreambleSize] = {};
  ok = ::pwrite(fd, zeros, sizeof zeros, 0) == static_cast<ssize_t>(sizeof zeros);
  int saved = errno;
  if (::close(fd) != 0 && ok) {
    ok = false;
    saved = errno;
  }
  return ok ? true : fail(error, path + ": " + std::strerror(saved));
}

}  // namespace healthd::dicom
