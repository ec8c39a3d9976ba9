// WADO-RS frames and bulk data of one instance, read from its file.
#include <charconv>

#include "dicom/bulk.h"
#include "dicom/frames.h"
#include "dicom/instance.h"
#include "dicom/multipart.h"
#include "dicom/negotiation.h"
#include "dicom/service_impl.h"

namespace healthd::dicom {

namespace {

constexpr const char* kExplicitLittle = "1.2.840.10008.1.2.1";

// "1,3,2" -> {1,3,2}; false on anything else.
bool parse_frame_list(std::string_view s, std::vector<uint32_t>& out) {
  size_t start = 0;
  while (start <= s.size()) {
    size_t comma = s.find(',', start);
    std::string_view one = s.substr(start, comma == std::string_view::npos ? s.npos : comma - start);
    uint32_t n = 0;
    auto r = std::from_chars(one.data(), one.data() + one.size(), n);
    if (one.empty() || r.ec != std::errc() || r.ptr != one.data() + one.size() || n == 0) return false;
    out.push_back(n);
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return !out.empty();
}

}  // namespace

Response DicomService::Impl::frames(const Request& req, const Target& t) {
  std::vector<uint32_t> wanted;
  const std::string& list = req.segments.back();
  if (!parse_frame_list(list, wanted))
    return problem(400, "'" + list + "' is not a list of frame numbers (1, 2, ... separated by commas)");
  std::string error;
  auto n = negotiate(req, "application/octet-stream", wanted.size() == 1, &error);
  if (!n) return problem(406, error);
  if (!n->transfer_syntax.empty() && n->transfer_syntax != "*" && n->transfer_syntax != kExplicitLittle)
    return problem(406, "Frames are served uncompressed (transfer-syntax=" + std::string(kExplicitLittle) +
                            "); transcoding to " + n->transfer_syntax + " is not supported yet (a later release)");
  std::vector<StoredFile> files = store->files(t.scope);
  if (files.empty()) return problem(404, not_found_message(t.scope));
  auto instance = Instance::open(files[0].path, &error);
  if (!instance) return problem(500, "cannot open the stored instance: " + error);
  FrameLayout layout;
  if (!frame_layout(*instance, &layout, &error)) return problem(400, "Instance " + t.scope.sop_uid + ": " + error);
  if (layout.encapsulated)
    return problem(406, "Instance " + t.scope.sop_uid + " is stored compressed (" + files[0].transfer_syntax_uid +
                            "); frames of compressed instances are served once transcoding arrives (a later release)");
  for (uint32_t f : wanted)
    if (f > layout.count)
      return problem(404, "Instance " + t.scope.sop_uid + " has " + std::to_string(layout.count) + " frame(s); there is no frame " +
                              std::to_string(f));
  Response r;
  if (!n->multipart) {
    r.body.reserve(layout.frame_bytes);
    bool ok = read_native_frame(*instance, layout, wanted[0] - 1, [&](const char* d, size_t s) {
      r.body.append(d, s);
      return true;
    }, &error);
    if (!ok) return problem(500, error);
    r.headers.set("Content-Type", std::string("application/octet-stream; transfer-syntax=") + kExplicitLittle);
    return r;
  }
  MultipartWriter out;
  for (uint32_t f : wanted) {
    out.begin(std::string("application/octet-stream; transfer-syntax=") + kExplicitLittle);
    bool ok = read_native_frame(*instance, layout, f - 1, [&](const char* d, size_t s) {
      out.append(d, s);
      return true;
    }, &error);
    if (!ok) return problem(500, error);
    out.end();
  }
  r.headers.set("Content-Type", "multipart/related; type=\"application/octet-stream\"; boundary=" + out.boundary());
  r.body = out.finish();
  return r;
}

Response DicomService::Impl::bulkdata(const Request& req, const Target& t) {
  // segments: v, studies, S, series, R, instances, I, bulkdata, path...
  std::string path;
  for (size_t i = 8; i < req.segments.size(); ++i) path += (path.empty() ? "" : "/") + req.segments[i];
  std::string error;
  auto n = negotiate(req, "application/octet-stream", true, &error);
  if (!n) return problem(406, error);
  std::vector<StoredFile> files = store->files(t.scope);
  if (files.empty()) return problem(404, not_found_message(t.scope));
  auto instance = Instance::open(files[0].path, &error);
  if (!instance) return problem(500, "cannot open the stored instance: " + error);
  uint64_t size = 0;
  if (!bulk_size(*instance, path, &size, &error))
    return problem(404, "Instance " + t.scope.sop_uid + " has no bulk data at '" + path + "': " + error);
  std::string bytes;
  bytes.reserve(size);
  if (!read_bulk(*instance, path, [&](const char* d, size_t s) {
        bytes.append(d, s);
        return true;
      }, &error))
    return problem(500, "cannot read bulk data: " + error);
  Response r;
  if (!n->multipart) {
    r.headers.set("Content-Type", "application/octet-stream");
    r.body = std::move(bytes);
    return r;
  }
  MultipartWriter out;
  out.add("application/octet-stream", bytes);
  r.headers.set("Content-Type", "multipart/related; type=\"application/octet-stream\"; boundary=" + out.boundary());
  r.body = out.finish();
  return r;
}

}  // namespace healthd::dicom
