#include "storage/sqlite_index_keys.h"

#include <cstring>

namespace healthd::storage {

namespace {

void put_varint(std::string& out, uint64_t v) {
  while (v >= 0x80) {
    out += static_cast<char>((v & 0x7f) | 0x80);
    v >>= 7;
  }
  out += static_cast<char>(v);
}

bool get_varint(std::string_view& in, uint64_t& v) {
  v = 0;
  for (int shift = 0; shift < 64 && !in.empty(); shift += 7) {
    const auto b = static_cast<uint8_t>(in.front());
    in.remove_prefix(1);
    v |= static_cast<uint64_t>(b & 0x7f) << shift;
    if (!(b & 0x80)) return true;
  }
  return false;
}

void put_fixed(std::string& out, uint64_t v) {
  char b[8];
  std::memcpy(b, &v, 8);
  out.append(b, 8);
}

bool get_fixed(std::string_view& in, uint64_t& v) {
  if (in.size() < 8) return false;
  std::memcpy(&v, in.data(), 8);
  in.remove_prefix(8);
  return true;
}

void put_text(std::string& out, std::string_view s) {
  put_varint(out, s.size());
  out += s;
}

bool get_text(std::string_view& in, std::string& s) {
  uint64_t n;
  if (!get_varint(in, n) || n > in.size()) return false;
  s.assign(in.substr(0, n));
  in.remove_prefix(n);
  return true;
}

template <class T>
uint64_t bits(T v) {
  uint64_t u;
  std::memcpy(&u, &v, 8);
  return u;
}

template <class T>
T from_bits(uint64_t u) {
  T v;
  std::memcpy(&v, &u, 8);
  return v;
}

}  // namespace

int64_t system_hash(std::string_view system) {
  if (system.empty()) return 0;
  uint64_t h = 14695981039346656037ull;
  for (unsigned char c : system) {
    h ^= c;
    h *= 1099511628211ull;
  }
  const auto v = static_cast<int64_t>(h);
  return v == 0 ? 1 : v;
}

std::string encode_key(const IndexKey& k) {
  std::string out;
  out += static_cast<char>(k.table);
  put_varint(out, static_cast<uint64_t>(k.pid));
  switch (k.table) {
    case IndexTable::String:
      put_text(out, k.text);
      put_text(out, k.text2);
      break;
    case IndexTable::Token:
      put_text(out, k.text);
      put_fixed(out, static_cast<uint64_t>(k.sys));
      break;
    case IndexTable::Ref: put_text(out, k.text); break;
    case IndexTable::Date:
      put_fixed(out, static_cast<uint64_t>(k.ilow));
      put_fixed(out, static_cast<uint64_t>(k.ihigh));
      break;
    case IndexTable::Quantity:
      put_fixed(out, bits(k.dlow));
      put_fixed(out, bits(k.dhigh));
      put_fixed(out, static_cast<uint64_t>(k.sys));
      put_text(out, k.text);
      break;
    case IndexTable::Composite:
      put_text(out, k.text);
      put_fixed(out, static_cast<uint64_t>(k.sys));
      put_text(out, k.text2);
      put_fixed(out, static_cast<uint64_t>(k.sys2));
      out += static_cast<char>(k.range);
      if (k.range == 1) {
        put_fixed(out, static_cast<uint64_t>(k.ilow));
        put_fixed(out, static_cast<uint64_t>(k.ihigh));
      } else if (k.range == 2) {
        put_fixed(out, bits(k.dlow));
        put_fixed(out, bits(k.dhigh));
      }
      break;
  }
  return out;
}

bool decode_key(std::string_view in, IndexKey& k) {
  if (in.empty()) return false;
  k = IndexKey{};
  k.table = static_cast<IndexTable>(in.front());
  in.remove_prefix(1);
  uint64_t pid = 0, a = 0, b = 0, c = 0;
  if (!get_varint(in, pid)) return false;
  k.pid = static_cast<int64_t>(pid);
  bool ok = false;
  switch (k.table) {
    case IndexTable::String: ok = get_text(in, k.text) && get_text(in, k.text2); break;
    case IndexTable::Token:
      ok = get_text(in, k.text) && get_fixed(in, a);
      k.sys = static_cast<int64_t>(a);
      break;
    case IndexTable::Ref: ok = get_text(in, k.text); break;
    case IndexTable::Date:
      ok = get_fixed(in, a) && get_fixed(in, b);
      k.ilow = static_cast<int64_t>(a);
      k.ihigh = static_cast<int64_t>(b);
      break;
    case IndexTable::Quantity:
      ok = get_fixed(in, a) && get_fixed(in, b) && get_fixed(in, c) && get_text(in, k.text);
      k.dlow = from_bits<double>(a);
      k.dhigh = from_bits<double>(b);
      k.sys = static_cast<int64_t>(c);
      break;
    case IndexTable::Composite: {
      ok = get_text(in, k.text) && get_fixed(in, a) && get_text(in, k.text2) && get_fixed(in, b) && !in.empty();
      if (!ok) break;
      k.sys = static_cast<int64_t>(a);
      k.sys2 = static_cast<int64_t>(b);
      k.range = static_cast<uint8_t>(in.front());
      in.remove_prefix(1);
      uint64_t lo = 0, hi = 0;
      if (k.range == 1 || k.range == 2) ok = get_fixed(in, lo) && get_fixed(in, hi);
      if (k.range == 1) {
        k.ilow = static_cast<int64_t>(lo);
        k.ihigh = static_cast<int64_t>(hi);
      } else if (k.range == 2) {
        k.dlow = from_bits<double>(lo);
        k.dhigh = from_bits<double>(hi);
      } else if (k.range != 0) {
        ok = false;
      }
      break;
    }
    default: return false;
  }
  return ok && in.empty();
}

std::string join_keys(const std::vector<std::string>& sorted_keys) {
  std::string out;
  for (const auto& k : sorted_keys) put_text(out, k);
  return out;
}

bool split_keys(std::string_view blob, std::vector<std::string>& out) {
  out.clear();
  while (!blob.empty()) {
    std::string k;
    if (!get_text(blob, k)) return false;
    out.push_back(std::move(k));
  }
  return true;
}

}  // namespace healthd::storage
