// gzip content coding (RFC 9110 §8.4.1) for HTTP responses, on zlib.
#pragma once

#include <string>
#include <string_view>

namespace healthd::http {

// True when an Accept-Encoding value admits gzip: "gzip" or "x-gzip" or "*" with q > 0,
// and no explicit "gzip;q=0".
bool accepts_gzip(std::string_view accept_encoding);

// gzip-compresses `data` (level 1..9; 6 is zlib's default trade-off).
// Throws std::runtime_error if zlib fails (out of memory).
std::string gzip_compress(std::string_view data, int level = 6);

}  // namespace healthd::http
