// multipart/related bodies (RFC 2387 / RFC 2046): reading STOW-RS uploads and writing WADO-RS
// answers. Parts of a body in memory are views into it (nothing is copied); parts of a body in a
// file are byte ranges.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace healthd::dicom {

struct BodyPart {
  std::string content_type;  // "" when the part has none
  std::string_view body;
};

// Splits body on boundary. Text before the first delimiter (preamble) and after the close
// delimiter (epilogue) is ignored; a part's headers end at the first empty line (CRLF, or bare
// LF from lenient clients). False with *error when the first delimiter or the close delimiter is
// missing or a part has no header end.
bool parse_multipart(std::string_view body, std::string_view boundary, std::vector<BodyPart>& parts,
                     std::string* error);

// A part located in a body that is not in memory (a body file): where its content lies.
struct PartRange {
  std::string content_type;  // "" when the part has none
  uint64_t offset = 0, length = 0;
};

// Reads up to n bytes at offset into out; returns how many (fewer only at the end of the body).
using ReadAt = std::function<size_t(uint64_t offset, char* out, size_t n)>;

// parse_multipart over a body of `size` bytes read in chunks through `read` (a file of any size
// in a bounded amount of memory); the same rules. Part headers longer than 64 KB are an error.
bool parse_multipart_ranges(uint64_t size, const ReadAt& read, std::string_view boundary,
                            std::vector<PartRange>& parts, std::string* error);

// Builds a multipart/related body part by part.
class MultipartWriter {
 public:
  MultipartWriter();  // a random boundary
  const std::string& boundary() const { return boundary_; }

  void add(std::string_view content_type, std::string_view bytes);
  // A part whose bytes arrive in chunks: begin(), append()..., end().
  void begin(std::string_view content_type);
  void append(const char* data, size_t size) { out_.append(data, size); }
  void end();
  // Closes the body; returns it (the writer is empty afterwards).
  std::string finish();
  bool empty() const { return parts_ == 0; }

  // The framing alone, for a body sent in pieces (a streamed retrieve): what precedes a part's
  // bytes, what follows them, and what closes the body.
  std::string part_head(std::string_view content_type) const;
  static constexpr std::string_view kPartEnd = "\r\n";
  std::string close_delimiter() const;

 private:
  std::string boundary_;
  std::string out_;
  size_t parts_ = 0;
};

}  // namespace healthd::dicom
