#include "dicom/multipart.h"

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

}  // namespace

bool parse_multipart(std::string_view body, std::string_view boundary, std::vector<BodyPart>& parts,
                     std::string* error) {
  parts.clear();
  if (boundary.empty() || boundary.size() > 200) return fail(error, "the multipart boundary is empty or too long");
  const std::string delimiter = "--" + std::string(boundary);
  // The first delimiter: at the start of the body or of a line.
  size_t pos = 0;
  if (!body.starts_with(delimiter)) {
    const size_t found = body.find("\n" + delimiter);
    if (found == std::string_view::npos) return fail(error, "the body does not contain the boundary '" + std::string(boundary) + "'");
    pos = found + 1;
  }
  const std::string next = "\n" + delimiter;
  while (true) {
    pos += delimiter.size();
    if (body.substr(pos, 2) == "--") return true;  // close delimiter
    pos = after_line(body, pos);                   // transport padding and CRLF
    if (pos == std::string_view::npos) return fail(error, "a boundary line does not end");
    // Headers end at the first empty line; a part without headers starts with that empty line.
    size_t header_end, content;
    if (body.substr(pos, 2) == "\r\n") {
      header_end = pos;
      content = pos + 2;
    } else if (body.substr(pos, 1) == "\n") {
      header_end = pos;
      content = pos + 1;
    } else {
      size_t crlf = body.find("\r\n\r\n", pos), lf = body.find("\n\n", pos);
      if (crlf == std::string_view::npos && lf == std::string_view::npos)
        return fail(error, "part " + std::to_string(parts.size() + 1) + " has no end of headers");
      if (lf != std::string_view::npos && (crlf == std::string_view::npos || lf < crlf)) {
        header_end = lf;
        content = lf + 2;
      } else {
        header_end = crlf;
        content = crlf + 4;
      }
    }
    const size_t end = body.find(next, content > 0 ? content - 1 : 0);
    if (end == std::string_view::npos)
      return fail(error, "part " + std::to_string(parts.size() + 1) + " is not closed by the boundary (truncated body?)");
    size_t content_end = end;
    if (content_end > content && body[content_end - 1] == '\r') --content_end;
    if (content_end < content) content_end = content;
    parts.push_back({content_type_of(body.substr(pos, header_end - pos)), body.substr(content, content_end - content)});
    pos = end + 1;
  }
}

MultipartWriter::MultipartWriter() : boundary_("healthd-" + new_uuid()) {}

void MultipartWriter::begin(std::string_view content_type) {
  out_ += "--";
  out_ += boundary_;
  out_ += "\r\nContent-Type: ";
  out_ += content_type;
  out_ += "\r\n\r\n";
}

void MultipartWriter::end() {
  out_ += "\r\n";
  ++parts_;
}

void MultipartWriter::add(std::string_view content_type, std::string_view bytes) {
  begin(content_type);
  out_ += bytes;
  end();
}

std::string MultipartWriter::finish() {
  out_ += "--";
  out_ += boundary_;
  out_ += "--\r\n";
  std::string done;
  done.swap(out_);
  return done;
}

}  // namespace healthd::dicom
