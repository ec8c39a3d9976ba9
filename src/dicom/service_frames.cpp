// WADO-RS frames and bulk data of one instance, read from its file (frames.h: native, stored
// compressed, or decoded; frame_transcode.h: re-encoded in another compressed syntax).
#include <charconv>
#include <optional>

#include "dicom/bulk.h"
#include "dicom/frame_transcode.h"
#include "dicom/frames.h"
#include "dicom/instance.h"
#include "dicom/multipart.h"
#include "dicom/negotiation.h"
#include "dicom/service_impl.h"
#include "dicom/transfer_syntax.h"

namespace healthd::dicom {

namespace {

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

// How the frames of one instance are served: as stored (compressed bytes), as native little
// endian pixels read at their offset or decoded, or those pixels encoded in another compressed
// syntax.
enum class FrameSource { Native, Stored, Decoded, Transcoded };

// A compressed syntax the server writes (frames can be transcoded to it).
bool is_compressed_target(std::string_view uid) {
  const TransferSyntaxInfo* info = find_transfer_syntax(uid);
  return info && info->encapsulated && info->encodable;
}

}  // namespace

Response DicomService::Impl::frames(const Request& req, const Target& t) {
  std::vector<uint32_t> wanted;
  const std::string& list = req.segments.back();
  if (!parse_frame_list(list, wanted))
    return problem(400, "'" + list + "' is not a list of frame numbers (1, 2, ... separated by commas)");
  std::string error;
  auto n = negotiate_frames(req, wanted.size() == 1, &error);
  if (!n) return problem(406, error);
  std::vector<StoredFile> files = store->files(t.scope);
  if (files.empty()) return problem(404, not_found_message(t.scope));
  const StoredFile& file = files[0];
  auto instance = Instance::open(file.path, &error);
  if (!instance) return problem(500, "cannot open the stored instance: " + error);
  FrameLayout layout;
  if (!frame_layout(*instance, &layout, &error)) return problem(400, "Instance " + t.scope.sop_uid + ": " + error);

  // The frames' transfer syntax: "*" keeps the stored one (uncompressed frames are always
  // little endian), none asked means Explicit VR Little Endian.
  const std::string_view target = requested_or_default(n->transfer_syntax);
  const bool native_target = target == kExplicitVrLittleEndian || target == kImplicitVrLittleEndian;
  FrameSource source;
  std::string part_syntax;
  if (!layout.encapsulated && (target == "*" || native_target)) {
    source = FrameSource::Native;
    part_syntax = target == "*" ? std::string(kExplicitVrLittleEndian) : std::string(target);
  } else if (layout.encapsulated && (target == "*" || target == file.transfer_syntax_uid)) {
    source = FrameSource::Stored;
    part_syntax = file.transfer_syntax_uid;
  } else if (layout.encapsulated && native_target) {
    source = FrameSource::Decoded;
    part_syntax = std::string(target);
  } else if (is_compressed_target(target)) {
    source = FrameSource::Transcoded;
    part_syntax = std::string(target);
  } else {
    return problem(406, "Frames of instance " + t.scope.sop_uid + " (stored in " +
                            describe_transfer_syntax(file.transfer_syntax_uid) + ") are served in the stored syntax "
                            "(transfer-syntax=*), uncompressed (transfer-syntax=" +
                            std::string(kExplicitVrLittleEndian) + ") or in one of " +
                            encodable_transfer_syntaxes(true) + ", not in " + describe_transfer_syntax(target));
  }
  for (uint32_t f : wanted)
    if (f > layout.count)
      return problem(404, "Instance " + t.scope.sop_uid + " has " + std::to_string(layout.count) + " frame(s); there is no frame " +
                              std::to_string(f));

  // Frame `index` encoded in the target: its native pixels (read or decoded), re-encoded.
  std::string native, photometric;
  auto transcode_one = [&](uint32_t index, std::string& encoded) -> std::optional<Response> {
    const std::string which = "Frame " + std::to_string(index + 1) + " of instance " + t.scope.sop_uid;
    bool read = false;
    if (layout.encapsulated) {
      read = decode_frame(*instance, layout, index, native, &error, &photometric);
    } else {
      native.clear();
      photometric.clear();
      read = read_native_frame(*instance, layout, index, [&](const char* d, size_t s) {
        native.append(d, s);
        return true;
      }, &error);
    }
    if (!read)
      return problem(406, which + " (stored in " + describe_transfer_syntax(file.transfer_syntax_uid) +
                              ") cannot be decoded to transcode it: " + error + "; ask for transfer-syntax=*");
    if (!transcode_frame(*instance, native, photometric, target, encoded, &error))
      return problem(406, which + " cannot be encoded in " + describe_transfer_syntax(target) + ": " + error);
    return std::nullopt;
  };
  // Frame `index` into `out`; an error Response when it cannot (only one frame is in memory
  // besides the answer).
  std::string frame;
  auto produce = [&](uint32_t index, const BulkSink& out) -> std::optional<Response> {
    switch (source) {
      case FrameSource::Native:
        if (!read_native_frame(*instance, layout, index, out, &error)) return problem(500, error);
        return std::nullopt;
      case FrameSource::Stored:
        if (!read_encapsulated_frame(*instance, layout, index, frame, &error))
          return problem(400, "Instance " + t.scope.sop_uid + ": " + error);
        break;
      case FrameSource::Decoded:
        if (!decode_frame(*instance, layout, index, frame, &error))
          return problem(406, "Frame " + std::to_string(index + 1) + " of instance " + t.scope.sop_uid + " (stored in " +
                                  describe_transfer_syntax(file.transfer_syntax_uid) +
                                  ") cannot be served uncompressed: " + error + "; ask for transfer-syntax=*");
        break;
      case FrameSource::Transcoded:
        if (auto failed = transcode_one(index, frame)) return failed;
        break;
    }
    out(frame.data(), frame.size());
    return std::nullopt;
  };
  const std::string part_type = n->part_type + "; transfer-syntax=" + part_syntax;
  Response r;
  if (!n->multipart) {
    auto failed = produce(wanted[0] - 1, [&](const char* d, size_t s) {
      r.body.append(d, s);
      return true;
    });
    if (failed) return *failed;
    r.headers.set("Content-Type", part_type);
    return r;
  }
  MultipartWriter out;
  for (uint32_t f : wanted) {
    out.begin(part_type);
    auto failed = produce(f - 1, [&](const char* d, size_t s) {
      out.append(d, s);
      return true;
    });
    if (failed) return *failed;
    out.end();
  }
  r.headers.set("Content-Type", "multipart/related; type=\"" + n->part_type + "\"; boundary=" + out.boundary());
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
