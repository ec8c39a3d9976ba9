#include "common/ids.h"

#include <chrono>
#include <random>

namespace healthd {

namespace {

// One generator per thread, seeded from the OS: no lock on the hot path.
std::mt19937_64& thread_rng() {
  thread_local std::mt19937_64 rng([] {
    std::random_device rd;
    std::seed_seq seq{rd(), rd(), rd(), rd(), rd(), rd()};
    return std::mt19937_64(seq);
  }());
  return rng;
}

std::string format_uuid(uint64_t hi, uint64_t lo) {
  static const char* hex = "0123456789abcdef";
  std::string out;
  out.reserve(36);
  for (int i = 15; i >= 0; --i) {
    uint64_t part = i >= 8 ? hi : lo;
    int shift = (i % 8) * 8;
    unsigned byte = static_cast<unsigned>((part >> shift) & 0xFF);
    out.push_back(hex[byte >> 4]);
    out.push_back(hex[byte & 15]);
    size_t n = out.size();
    if (n == 8 || n == 13 || n == 18 || n == 23) out.push_back('-');
  }
  return out;
}

}  // namespace

std::string new_uuid() {
  uint64_t hi = thread_rng()(), lo = thread_rng()();
  hi = (hi & 0xFFFFFFFFFFFF0FFFULL) | 0x0000000000004000ULL;  // version 4
  lo = (lo & 0x3FFFFFFFFFFFFFFFULL) | 0x8000000000000000ULL;  // RFC 4122 variant
  return format_uuid(hi, lo);
}

std::string new_time_ordered_uuid() {
  const auto ms = static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
          .count());
  uint64_t hi = (ms & 0xFFFFFFFFFFFFULL) << 16 | 0x7000ULL | (thread_rng()() & 0x0FFFULL);  // version 7
  uint64_t lo = (thread_rng()() & 0x3FFFFFFFFFFFFFFFULL) | 0x8000000000000000ULL;          // RFC 4122 variant
  return format_uuid(hi, lo);
}

bool is_valid_fhir_id(std::string_view id) {
  if (id.empty() || id.size() > 64) return false;
  for (char c : id) {
    bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '.';
    if (!ok) return false;
  }
  return true;
}

}  // namespace healthd
