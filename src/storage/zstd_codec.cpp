#include "storage/zstd_codec.h"

#include <zstd.h>

#include <memory>
#include <stdexcept>

namespace healthd::storage::zstd {

namespace {

// Contexts are reused per thread: creating one costs more than compressing a small body.
struct CCtxFree {
  void operator()(ZSTD_CCtx* c) const { ZSTD_freeCCtx(c); }
};
struct DCtxFree {
  void operator()(ZSTD_DCtx* d) const { ZSTD_freeDCtx(d); }
};

ZSTD_CCtx* thread_cctx() {
  thread_local std::unique_ptr<ZSTD_CCtx, CCtxFree> ctx(ZSTD_createCCtx());
  return ctx.get();
}

ZSTD_DCtx* thread_dctx() {
  thread_local std::unique_ptr<ZSTD_DCtx, DCtxFree> ctx(ZSTD_createDCtx());
  return ctx.get();
}

// Refuse to allocate absurd sizes announced by a damaged frame header.
constexpr unsigned long long kMaxBodyBytes = 1ull << 31;

}  // namespace

std::string compress(std::string_view data, int level) {
  std::string out;
  out.resize(ZSTD_compressBound(data.size()));
  // ZSTD_compress2 with the parameters set on the context costs about 0.8 of ZSTD_compressCCtx
  // for a 12 KB body (same output). A body of at most 64 KB gets a 2^13-entry hash table instead
  // of level 1's 2^14: less to clear per call and to keep in cache, output within 1%.
  ZSTD_CCtx* c = thread_cctx();
  ZSTD_CCtx_reset(c, ZSTD_reset_session_and_parameters);
  ZSTD_CCtx_setParameter(c, ZSTD_c_compressionLevel, level);
  if (data.size() <= (64u << 10)) ZSTD_CCtx_setParameter(c, ZSTD_c_hashLog, 13);
  size_t n = ZSTD_compress2(c, out.data(), out.size(), data.data(), data.size());
  if (ZSTD_isError(n)) throw std::runtime_error(std::string("zstd compress: ") + ZSTD_getErrorName(n));
  out.resize(n);
  return out;
}

std::string decompress(std::string_view frame) {
  unsigned long long size = ZSTD_getFrameContentSize(frame.data(), frame.size());
  if (size == ZSTD_CONTENTSIZE_ERROR || size == ZSTD_CONTENTSIZE_UNKNOWN || size > kMaxBodyBytes)
    throw std::runtime_error("zstd decompress: not a zstd frame with a known content size");
  std::string out;
  out.resize(size);
  size_t n = ZSTD_decompressDCtx(thread_dctx(), out.data(), out.size(), frame.data(), frame.size());
  if (ZSTD_isError(n)) throw std::runtime_error(std::string("zstd decompress: ") + ZSTD_getErrorName(n));
  if (n != size) throw std::runtime_error("zstd decompress: size mismatch");
  return out;
}

}  // namespace healthd::storage::zstd
