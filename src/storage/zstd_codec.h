// zstd compression of stored bodies (one complete zstd frame per body).
#pragma once

#include <string>
#include <string_view>

namespace healthd::storage::zstd {

// Level 1: bodies are compressed on the committing thread, so speed matters more than ratio.
std::string compress(std::string_view data, int level = 1);
// Throws std::runtime_error when `frame` is not a valid zstd frame.
std::string decompress(std::string_view frame);

}  // namespace healthd::storage::zstd
