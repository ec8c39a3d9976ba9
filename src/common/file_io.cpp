#include "common/file_io.h"

#include <fstream>
#include <sstream>

namespace healthd {

bool read_file(const std::string& path, std::string& out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::ostringstream buf;
  buf << in.rdbuf();
  if (in.bad()) return false;
  out = std::move(buf).str();
  return true;
}

}  // namespace healthd
