#include "http/gzip.h"

#include <zlib.h>

#include <algorithm>
#include <stdexcept>

#include "common/request.h"

namespace healthd::http {

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

// q-value of one "coding;q=0.5" element; 1 when absent, 0 when unparsable zero.
double qvalue(std::string_view params) {
  size_t i = 0;
  while (i < params.size()) {
    size_t j = params.find(';', i);
    if (j == std::string_view::npos) j = params.size();
    std::string_view p = trim(params.substr(i, j - i));
    if (p.size() >= 2 && (p[0] == 'q' || p[0] == 'Q') && p[1] == '=') {
      std::string_view v = p.substr(2);
      // q = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] ): nonzero iff any digit is nonzero.
      for (char c : v)
        if (c >= '1' && c <= '9') return 1.0;
      return 0.0;
    }
    i = j + 1;
  }
  return 1.0;
}

}  // namespace

bool accepts_gzip(std::string_view accept_encoding) {
  int gzip = -1, star = -1;  // -1 unmentioned, 0 refused, 1 accepted
  size_t i = 0;
  while (i < accept_encoding.size()) {
    size_t j = accept_encoding.find(',', i);
    if (j == std::string_view::npos) j = accept_encoding.size();
    std::string_view item = trim(accept_encoding.substr(i, j - i));
    size_t semi = item.find(';');
    std::string_view coding = trim(item.substr(0, semi));
    int ok = semi == std::string_view::npos || qvalue(item.substr(semi + 1)) > 0 ? 1 : 0;
    if (iequals(coding, "gzip") || iequals(coding, "x-gzip"))
      gzip = ok;
    else if (coding == "*")
      star = ok;
    i = j + 1;
  }
  return gzip == 1 || (gzip == -1 && star == 1);
}

std::string gzip_compress(std::string_view data, int level) {
  z_stream zs{};
  // windowBits 15 + 16: gzip wrapper instead of zlib's; memLevel 8 is the default.
  if (deflateInit2(&zs, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
    throw std::runtime_error("gzip: deflateInit2 failed");
  std::string out(deflateBound(&zs, static_cast<uLong>(data.size())), '\0');
  // zlib counts in uInt; feed and drain in chunks so any size works.
  constexpr size_t kChunk = size_t{1} << 30;
  const auto* in = reinterpret_cast<const Bytef*>(data.data());
  size_t in_left = data.size(), produced = 0;
  int rc;
  do {
    if (zs.avail_in == 0 && in_left > 0) {
      zs.avail_in = static_cast<uInt>(std::min(in_left, kChunk));
      zs.next_in = const_cast<Bytef*>(in);
      in += zs.avail_in;
      in_left -= zs.avail_in;
    }
    if (produced == out.size()) out.resize(out.size() * 2);
    zs.next_out = reinterpret_cast<Bytef*>(out.data()) + produced;
    zs.avail_out = static_cast<uInt>(std::min(out.size() - produced, kChunk));
    uInt room = zs.avail_out;
    rc = deflate(&zs, in_left == 0 ? Z_FINISH : Z_NO_FLUSH);
    produced += room - zs.avail_out;
  } while (rc == Z_OK || (rc == Z_BUF_ERROR && produced == out.size()));
  deflateEnd(&zs);
  if (rc != Z_STREAM_END) throw std::runtime_error("gzip: deflate failed");
  out.resize(produced);
  return out;
}

}  // namespace healthd::http
