#include "dicom/multipart.h"

#include <algorithm>
#include <cstring>

#include "common/ids.h"

namespace healthd::dicom {

namespace {

bool fail(std::string* error, std::string why) {
  if (error) *error = std::move(why);
  return false;
}

// Position just past the end of the line starting at pos (after LF), or npos.
size_t after_line(std::string_view s, size_t pos) {
  const size_t lf = s.find('\n', pos);
  return lf == std::string_view::npos ? lf : lf + 1;
}

// Content-Type of a header block (lines separated by CRLF or LF).
std::string content_type_of(std::string_view headers) {
  size_t pos = 0;
  while (pos < headers.size()) {
    size_t end = headers.find('\n', pos);
    if (end == std::string_view::npos) end = headers.size();
    std::string_view line = headers.substr(pos, end - pos);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    const size_t colon = line.find(':');
    if (colon != std::string_view::npos) {
      std::string_view name = line.substr(0, colon);
      std::string lowered;
      for (char c : name) lowered += static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c);
      if (lowered == "content-type") {
        std::string_view v = line.substr(colon + 1);
        while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
        while (!v.empty() && (v.back() == ' ' || v.back() == '\t')) v.remove_suffix(1);
        return std::string(v);
      }
    }
    pos = end + 1;
  }
  return {};
}

constexpr size_t kChunk = 1 << 20;
constexpr size_t kMaxHeaders = 64 << 10;

// Where the delimiters start: at offset 0 when the body begins with one, then after every "\n"
// followed by one. Reads the body once, in chunks, keeping the tail of each chunk so a delimiter
// across two chunks is found.
std::vector<uint64_t> find_delimiters(uint64_t size, const ReadAt& read, const std::string& delimiter) {
  std::vector<uint64_t> out;
  const std::string pattern = "\n" + delimiter;
  // Sized for the body when it is small: a 1 MB buffer per small upload costs more than parsing.
  const size_t chunk = static_cast<size_t>(std::min<uint64_t>(kChunk, size));
  std::string buf(chunk + pattern.size(), '\0');
  uint64_t base = 0;  // body offset of buf[0]
  size_t len = 0;     // bytes in buf
  uint64_t next_read = 0;
  while (next_read < size) {
    const size_t n = read(next_read, buf.data() + len, chunk);
    if (n == 0) break;
    next_read += n;
    len += n;
    if (base == 0 && out.empty() && len >= delimiter.size() && std::memcmp(buf.data(), delimiter.data(), delimiter.size()) == 0)
      out.push_back(0);
    const char* from = buf.data();
    const char* end = buf.data() + len;
    while (const void* hit = memmem(from, static_cast<size_t>(end - from), pattern.data(), pattern.size())) {
      const char* h = static_cast<const char*>(hit);
      out.push_back(base + static_cast<uint64_t>(h - buf.data()) + 1);
      from = h + 1;
    }
    // Keep the last pattern.size() - 1 bytes: a match may begin there.
    const size_t keep = std::min(len, pattern.size() - 1);
    std::memmove(buf.data(), buf.data() + len - keep, keep);
    base += len - keep;
    len = keep;
  }
  return out;
}

}  // namespace

bool parse_multipart_ranges(uint64_t size, const ReadAt& read, std::string_view boundary,
                            std::vector<PartRange>& parts, std::string* error) {
  parts.clear();
  if (boundary.empty() || boundary.size() > 200) return fail(error, "the multipart boundary is empty or too long");
  const std::string delimiter = "--" + std::string(boundary);
  const std::vector<uint64_t> delimiters = find_delimiters(size, read, delimiter);
  // The first delimiter: at the start of the body or of a line.
  if (delimiters.empty()) return fail(error, "the body does not contain the boundary '" + std::string(boundary) + "'");
  uint64_t pos = delimiters.front();
  std::string head;  // the bytes after a delimiter: transport padding, CRLF, the part's headers
  while (true) {
    pos += delimiter.size();
    head.resize(static_cast<size_t>(std::min<uint64_t>(kMaxHeaders, size - std::min(size, pos))));
    head.resize(head.empty() ? 0 : read(pos, head.data(), head.size()));
    const std::string_view h(head);
    if (h.substr(0, 2) == "--") return true;  // close delimiter
    size_t at = after_line(h, 0);             // transport padding and CRLF
    if (at == std::string_view::npos) return fail(error, "a boundary line does not end");
    // Headers end at the first empty line; a part without headers starts with that empty line.
    size_t header_end, content;
    if (h.substr(at, 2) == "\r\n") {
      header_end = at;
      content = at + 2;
    } else if (h.substr(at, 1) == "\n") {
      header_end = at;
      content = at + 1;
    } else {
      size_t crlf = h.find("\r\n\r\n", at), lf = h.find("\n\n", at);
      if (crlf == std::string_view::npos && lf == std::string_view::npos)
        return fail(error, "part " + std::to_string(parts.size() + 1) +
                               (h.size() == kMaxHeaders ? " has headers longer than 64 KB" : " has no end of headers"));
      if (lf != std::string_view::npos && (crlf == std::string_view::npos || lf < crlf)) {
        header_end = lf;
        content = lf + 2;
      } else {
        header_end = crlf;
        content = crlf + 4;
      }
    }
    const uint64_t content_at = pos + content;
    // The next delimiter starts at or after the content (its "\n" may be the header's last one).
    auto next = std::lower_bound(delimiters.begin(), delimiters.end(), content_at);
    if (next == delimiters.end())
      return fail(error, "part " + std::to_string(parts.size() + 1) + " is not closed by the boundary (truncated body?)");
    uint64_t content_end = *next - 1;  // the "\n" before the delimiter
    if (content_end > content_at) {
      char before = 0;
      if (read(content_end - 1, &before, 1) == 1 && before == '\r') --content_end;
    }
    if (content_end < content_at) content_end = content_at;
    parts.push_back({content_type_of(h.substr(at, header_end - at)), content_at, content_end - content_at});
    pos = *next;
  }
}

bool parse_multipart(std::string_view body, std::string_view boundary, std::vector<BodyPart>& parts,
                     std::string* error) {
  parts.clear();
  std::vector<PartRange> ranges;
  const ReadAt read = [body](uint64_t offset, char* out, size_t n) {
    if (offset >= body.size()) return size_t{0};
    n = std::min<size_t>(n, body.size() - static_cast<size_t>(offset));
    std::memcpy(out, body.data() + offset, n);
    return n;
  };
  if (!parse_multipart_ranges(body.size(), read, boundary, ranges, error)) return false;
  for (auto& r : ranges)
    parts.push_back({std::move(r.content_type), body.substr(static_cast<size_t>(r.offset), static_cast<size_t>(r.length))});
  return true;
}

MultipartWriter::MultipartWriter() : boundary_("healthd-" + new_uuid()) {}

std::string MultipartWriter::part_head(std::string_view content_type) const {
  std::string out;
  out.reserve(boundary_.size() + content_type.size() + 22);
  out.append("--").append(boundary_).append("\r\nContent-Type: ").append(content_type).append("\r\n\r\n");
  return out;
}

std::string MultipartWriter::close_delimiter() const { return "--" + boundary_ + "--\r\n"; }

void MultipartWriter::begin(std::string_view content_type) { out_ += part_head(content_type); }

void MultipartWriter::end() {
  out_ += kPartEnd;
  ++parts_;
}

void MultipartWriter::add(std::string_view content_type, std::string_view bytes) {
  begin(content_type);
  out_ += bytes;
  end();
}

std::string MultipartWriter::finish() {
  out_ += close_delimiter();
  std::string done;
  done.swap(out_);
  return done;
}

}  // namespace healthd::dicom
