// WADO-RS rendered instance and frame: image/jpeg (the default, `quality` 1-100) or image/png.
#include <algorithm>
#include <charconv>

#include "dicom/frames.h"
#include "dicom/instance.h"
#include "dicom/media_type.h"
#include "dicom/render.h"
#include "dicom/service_impl.h"

namespace healthd::dicom {

namespace {

// image/jpeg unless Accept prefers image/png; nullopt when it allows neither.
std::optional<ImageFormat> negotiate_image(const Request& req) {
  auto accept = req.headers.get("Accept");
  if (!accept || accept->find_first_not_of(" ") == std::string_view::npos) return ImageFormat::Jpeg;
  std::vector<MediaType> ranges = parse_accept(*accept);
  std::stable_sort(ranges.begin(), ranges.end(), [](const MediaType& a, const MediaType& b) { return a.q > b.q; });
  for (const MediaType& m : ranges) {
    if (m.q <= 0) continue;
    if (m.type == "image/jpeg" || m.type == "image/*" || m.type == "*/*") return ImageFormat::Jpeg;
    if (m.type == "image/png") return ImageFormat::Png;
  }
  return std::nullopt;
}

bool parse_int(std::string_view s, int& out) {
  auto r = std::from_chars(s.data(), s.data() + s.size(), out);
  return !s.empty() && r.ec == std::errc() && r.ptr == s.data() + s.size();
}

}  // namespace

Response DicomService::Impl::rendered(const Request& req, const Target& t) {
  RenderOptions options;
  auto format = negotiate_image(req);
  if (!format) return problem(406, "Rendered images are image/jpeg (the default) or image/png");
  options.format = *format;
  if (auto q = req.param("quality")) {
    if (!parse_int(*q, options.quality) || options.quality < 1 || options.quality > 100)
      return problem(400, "quality must be a whole number from 1 to 100, not '" + std::string(*q) + "'");
  }
  // .../frames/{n}/rendered names one frame; .../rendered the first.
  const bool of_frame = req.segments.size() >= 3 && req.segments[req.segments.size() - 3] == "frames";
  uint32_t frame = 1;
  if (of_frame) {
    const std::string& n = req.segments[req.segments.size() - 2];
    int v = 0;
    if (!parse_int(n, v) || v < 1) return problem(400, "'" + n + "' is not one frame number (1, 2, ...)");
    frame = static_cast<uint32_t>(v);
  }
  std::vector<StoredFile> files = store->files(t.scope);
  if (files.empty()) return problem(404, not_found_message(t.scope));
  std::string error;
  // One reading of the file: the frame count, then the frame rendered from the same data set.
  auto instance = Instance::open(files[0].path, &error);
  if (!instance) return problem(500, "cannot open the stored instance: " + error);
  FrameLayout layout;
  if (!frame_layout(*instance, &layout, &error)) return problem(400, "Instance " + t.scope.sop_uid + ": " + error);
  if (frame > layout.count)
    return problem(404, "Instance " + t.scope.sop_uid + " has " + std::to_string(layout.count) +
                            " frame(s); there is no frame " + std::to_string(frame));
  options.frame = frame - 1;
  Response r;
  if (!render_frame(*instance, options, r.body, &error))
    return problem(406, "Instance " + t.scope.sop_uid + " cannot be rendered: " + error);
  r.headers.set("Content-Type", options.format == ImageFormat::Png ? "image/png" : "image/jpeg");
  return r;
}

}  // namespace healthd::dicom
