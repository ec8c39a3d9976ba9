// Transcoding a stored instance to another transfer syntax (WADO-RS retrieve with a named
// transfer-syntax). The file is read, its Pixel Data decoded and encoded by the registered codecs
// (codecs.h), and the Part 10 result (preamble, File Meta Information naming the new syntax,
// dataset) streamed to a sink. One instance's pixels are in memory at a time; the SOP Instance
// UID is kept, also for lossy targets.
#pragma once

#include <string>
#include <string_view>

#include "dicom/bulk.h"

namespace healthd::dicom {

enum class TranscodeStatus {
  Ok,
  UnsupportedTarget,  // the server cannot write that syntax (or does not know it)
  CannotDecode,       // the stored pixels cannot be read (no codec, or corrupt)
  CannotEncode,       // the codec refused these pixels (e.g. bit depth) for the target
  Unreadable,         // the stored file does not parse
};

struct TranscodeResult {
  TranscodeStatus status = TranscodeStatus::Ok;
  std::string message;  // says what and why, for a 406 detail
  bool ok() const { return status == TranscodeStatus::Ok; }
};

// Whether an instance stored in `stored_uid` can be written in `target_uid` (the codecs exist);
// a message for a 406 when not. Cheap: reads no file.
TranscodeResult can_transcode(std::string_view stored_uid, std::string_view target_uid);

// Writes the file at `path` in `target_uid` to sink.
TranscodeResult transcode_file(const std::string& path, std::string_view target_uid, const BulkSink& sink);

}  // namespace healthd::dicom
