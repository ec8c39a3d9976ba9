#include "dicom/nesting_scan.h"

#include <dcmtk/config/osconfig.h>
#include <dcmtk/dcmdata/dcdict.h>
#include <dcmtk/dcmdata/dcdicent.h>
#include <zlib.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <memory>
#include <vector>

namespace healthd::dicom::detail {

namespace {

constexpr uint32_t kUndefined = 0xFFFFFFFF;
constexpr uint64_t kNoEnd = ~uint64_t{0};

// A Part 10 file read forwards from a FILE or from memory, or its inflated form (Deflated
// Explicit VR Little Endian); skip() seeks where it can.
class Stream {
 public:
  explicit Stream(FILE* f) : f_(f) {}
  explicit Stream(std::string_view bytes) : bytes_(bytes) {}
  ~Stream() {
    if (inflating_) inflateEnd(&z_);
  }

  bool start_inflate() {
    if (inflateInit2(&z_, -MAX_WBITS) != Z_OK) return false;
    inflating_ = true;
    return true;
  }

  bool read(void* dst, size_t n) {
    auto* out = static_cast<unsigned char*>(dst);
    while (n > 0) {
      if (!inflating_) {
        if (raw_read(out, n) != n) return false;
        pos_ += n;
        return true;
      }
      if (out_pos_ == out_len_ && !inflate_more()) return false;
      size_t k = std::min(n, out_len_ - out_pos_);
      std::memcpy(out, out_buf_ + out_pos_, k);
      out_pos_ += k, pos_ += k, out += k, n -= k;
    }
    return true;
  }

  bool skip(uint64_t n) {
    if (!inflating_) {
      if (!f_) {  // past the end is no error, as for a file: the next read fails
        at_ += static_cast<size_t>(std::min<uint64_t>(n, bytes_.size() - at_));
      } else if (fseeko(f_, static_cast<off_t>(n), SEEK_CUR) != 0) {
        return false;
      }
      pos_ += n;
      return true;
    }
    unsigned char sink[4096];
    for (; n > 0;) {
      size_t k = static_cast<size_t>(std::min<uint64_t>(n, sizeof sink));
      if (!read(sink, k)) return false;
      n -= k;
    }
    return true;
  }

  // Steps back over the last n bytes read (not while inflating).
  bool unread(size_t n) {
    if (inflating_ || n > pos_) return false;
    if (f_) {
      if (fseeko(f_, -static_cast<off_t>(n), SEEK_CUR) != 0) return false;
    } else {
      at_ -= n;
    }
    pos_ -= n;
    return true;
  }

  bool at_end() {
    if (inflating_) return out_pos_ == out_len_ && !inflate_more();
    if (!f_) return at_ == bytes_.size();
    int c = std::fgetc(f_);
    if (c == EOF) return true;
    std::ungetc(c, f_);
    return false;
  }

  uint64_t pos() const { return pos_; }

 private:
  // Up to n bytes of the file or memory as they are.
  size_t raw_read(unsigned char* out, size_t n) {
    if (f_) return std::fread(out, 1, n, f_);
    n = std::min(n, bytes_.size() - at_);
    std::memcpy(out, bytes_.data() + at_, n);
    at_ += n;
    return n;
  }

  bool inflate_more() {
    if (z_done_) return false;
    out_pos_ = out_len_ = 0;
    while (out_len_ == 0) {
      if (z_.avail_in == 0) {
        z_.avail_in = static_cast<uInt>(raw_read(in_buf_, sizeof in_buf_));
        z_.next_in = in_buf_;
        if (z_.avail_in == 0) return false;
      }
      z_.next_out = out_buf_;
      z_.avail_out = sizeof out_buf_;
      int r = inflate(&z_, Z_NO_FLUSH);
      out_len_ = sizeof out_buf_ - z_.avail_out;
      if (r == Z_STREAM_END) z_done_ = true;
      else if (r != Z_OK) return false;
      if (z_done_ && out_len_ == 0) return false;
    }
    return true;
  }

  FILE* f_ = nullptr;
  std::string_view bytes_;  // when f_ is null
  size_t at_ = 0;           // read position in bytes_
  bool inflating_ = false, z_done_ = false;
  z_stream z_{};
  unsigned char in_buf_[16384], out_buf_[16384];
  size_t out_pos_ = 0, out_len_ = 0;
  uint64_t pos_ = 0;
};

bool dictionary_says_sequence(uint16_t group, uint16_t element) {
  const DcmDataDictionary& dict = dcmDataDict.rdlock();
  const DcmDictEntry* entry = dict.findEntry(DcmTagKey(group, element), nullptr);
  bool sq = entry && entry->getEVR() == EVR_SQ;
  dcmDataDict.rdunlock();
  return sq;
}

// VRs with a 4-byte length field in explicit VR (PS3.5 7.1.2); DCMTK reads unknown VRs made of
// two capital letters that way too.
bool long_length(const char vr[2]) {
  static const char* kLong[] = {"OB", "OD", "OF", "OL", "OV", "OW", "SQ", "SV", "UC", "UN", "UR", "UT", "UV"};
  for (const char* l : kLong)
    if (vr[0] == l[0] && vr[1] == l[1]) return true;
  static const char* kShort[] = {"AE", "AS", "AT", "CS", "DA", "DS", "DT", "FD", "FL", "IS", "LO",
                                 "LT", "PN", "SH", "SL", "SS", "ST", "TM", "UI", "UL", "US"};
  for (const char* s : kShort)
    if (vr[0] == s[0] && vr[1] == s[1]) return false;
  return vr[0] >= 'A' && vr[0] <= 'Z' && vr[1] >= 'A' && vr[1] <= 'Z';
}

class Scanner {
 public:
  Scanner(Stream& in, bool implicit, bool big_endian, int max_depth)
      : in_(in), implicit_(implicit), big_(big_endian), max_depth_(max_depth) {}

  // "" when fine, else why not.
  std::string run() {
    while (true) {
      while (!levels_.empty() && levels_.back().end != kNoEnd && in_.pos() >= levels_.back().end) pop();
      if (levels_.empty() && in_.at_end()) return "";
      std::string problem = element();
      if (problem == "too deep") return "sequences nest deeper than " + std::to_string(max_depth_) + " levels";
      if (!problem.empty() && !recover()) return problem;
    }
  }

 private:
  struct Level {
    uint64_t end;     // kNoEnd: undefined length, ends with a delimitation item
    bool item;        // an item, or else a sequence
    bool implicit;    // encoding of what it holds
    bool fragments;   // encapsulated Pixel Data: items are fragments, not data sets
  };

  // One element or item header, and the level it opens or closes.
  std::string element() {
    uint16_t group, elem;
    if (!u16(group) || !u16(elem)) return "truncated";
    const bool implicit = levels_.empty() ? implicit_ : levels_.back().implicit;
    if (group == 0xFFFE) {
      uint32_t len;
      if (!u32(len)) return "truncated";
      if (elem == 0xE000) {
        if (levels_.empty() || levels_.back().item) return "item outside a sequence";
        if (levels_.back().fragments) return len == kUndefined ? "fragment of undefined length" : skip(len);
        levels_.push_back({end_of(len), true, implicit, false});
      } else if (elem == 0xE00D || elem == 0xE0DD) {
        bool want_item = elem == 0xE00D;
        if (levels_.empty() || levels_.back().item != want_item || levels_.back().end != kNoEnd)
          return "unexpected delimitation item";
        pop();
      }
      return "";
    }
    char vr[2] = {0, 0};
    uint32_t len;
    if (implicit) {
      if (!u32(len)) return "truncated";
    } else {
      if (!in_.read(vr, 2)) return "truncated";
      uint16_t len16;
      if (long_length(vr)) {
        if (!in_.skip(2) || !u32(len)) return "truncated";
      } else {
        if (!u16(len16)) return "truncated";
        len = len16;
      }
    }
    const bool is_sq = !implicit && vr[0] == 'S' && vr[1] == 'Q';
    const bool is_un = !implicit && vr[0] == 'U' && vr[1] == 'N';
    if (len == kUndefined) {  // a sequence, encapsulated Pixel Data, or UN holding implicit VR items
      bool fragments = group == 0x7FE0 && elem == 0x0010;
      return open_sequence(kNoEnd, implicit || is_un, fragments);
    }
    if (is_sq || ((implicit || is_un) && dictionary_says_sequence(group, elem)))
      return open_sequence(end_of(len), implicit || is_un, false);
    if ((implicit || is_un) && len >= 8) {
      // a private sequence DCMTK may know: look for an item tag at the start of the value
      uint16_t g, e;
      if (!u16(g) || !u16(e)) return "truncated";
      if (g == 0xFFFE && e == 0xE000) {
        std::string r = open_sequence(end_of(len), true, false, 4);
        if (!r.empty()) return r;
        uint32_t item_len;
        if (!u32(item_len)) return "truncated";
        levels_.push_back({end_of(item_len), true, true, false});
        return "";
      }
      return skip(len - 4);
    }
    return skip(len);
  }

  // already: bytes of the value read before the sequence was recognised
  std::string open_sequence(uint64_t end, bool implicit, bool fragments, uint64_t already = 0) {
    if (end != kNoEnd) end -= already;
    if (!fragments && ++depth_ > max_depth_) return "too deep";
    levels_.push_back({end, false, implicit, fragments});
    return "";
  }

  void pop() {
    if (!levels_.back().item && !levels_.back().fragments) --depth_;
    levels_.pop_back();
  }

  // After a broken header inside a defined-length level: continue after that level.
  bool recover() {
    while (!levels_.empty() && levels_.back().end == kNoEnd) pop();
    if (levels_.empty() || in_.pos() > levels_.back().end) return false;
    uint64_t end = levels_.back().end;
    pop();
    return in_.skip(end - in_.pos());
  }

  uint64_t end_of(uint32_t len) const { return len == kUndefined ? kNoEnd : in_.pos() + len; }
  std::string skip(uint32_t len) { return in_.skip(len) ? "" : "truncated"; }

  bool u16(uint16_t& v) {
    unsigned char b[2];
    if (!in_.read(b, 2)) return false;
    v = big_ ? (b[0] << 8 | b[1]) : (b[1] << 8 | b[0]);
    return true;
  }
  bool u32(uint32_t& v) {
    unsigned char b[4];
    if (!in_.read(b, 4)) return false;
    v = big_ ? (uint32_t{b[0]} << 24 | b[1] << 16 | b[2] << 8 | b[3])
             : (uint32_t{b[3]} << 24 | b[2] << 16 | b[1] << 8 | b[0]);
    return true;
  }

  Stream& in_;
  const bool implicit_, big_;
  const int max_depth_;
  int depth_ = 0;
  std::vector<Level> levels_;
};

// Reads the File Meta Information (explicit VR little endian, group 0002) and returns its
// Transfer Syntax UID; leaves the stream at the first data set element. "" if none.
std::string read_meta(Stream& in) {
  std::string ts;
  while (true) {
    unsigned char h[8];
    if (!in.read(h, 8)) return ts;
    uint16_t group = h[1] << 8 | h[0], elem = h[3] << 8 | h[2];
    if (group != 0x0002) {
      in.unread(8);
      return ts;
    }
    const char vr[2] = {static_cast<char>(h[4]), static_cast<char>(h[5])};
    uint32_t len = h[7] << 8 | h[6];
    if (long_length(vr)) {
      unsigned char l[4];
      if (!in.read(l, 4)) return ts;
      len = uint32_t{l[3]} << 24 | l[2] << 16 | l[1] << 8 | l[0];
    }
    if (elem == 0x0010 && len < 256) {
      ts.assign(len, '\0');
      if (!in.read(ts.data(), len)) return "";
      while (!ts.empty() && (ts.back() == '\0' || ts.back() == ' ')) ts.pop_back();
    } else if (len == kUndefined || !in.skip(len)) {
      return ts;
    }
  }
}

// The scan of a stream positioned after "DICM".
bool scan_part10(Stream& in, int max_depth, std::string* error) {
  const std::string ts = read_meta(in);
  if (ts.empty()) return true;
  if (ts == "1.2.840.10008.1.2.1.99" && !in.start_inflate()) return true;
  Scanner scanner(in, ts == "1.2.840.10008.1.2", ts == "1.2.840.10008.1.2.2", max_depth);
  std::string problem = scanner.run();
  if (!problem.empty() && error) *error = problem;
  return problem.empty();
}

}  // namespace

bool nesting_within(const std::string& path, int max_depth, std::string* error) {
  std::unique_ptr<FILE, int (*)(FILE*)> f(std::fopen(path.c_str(), "rb"), &std::fclose);
  char magic[4];
  if (!f || fseeko(f.get(), 128, SEEK_SET) != 0 || std::fread(magic, 1, 4, f.get()) != 4 ||
      std::memcmp(magic, "DICM", 4) != 0)
    return true;
  Stream in(f.get());
  return scan_part10(in, max_depth, error);
}

bool nesting_within(std::string_view bytes, int max_depth, std::string* error) {
  if (bytes.size() < 132 || bytes.substr(128, 4) != "DICM") return true;
  Stream in(bytes.substr(132));
  return scan_part10(in, max_depth, error);
}

}  // namespace healthd::dicom::detail
