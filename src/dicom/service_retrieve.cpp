// WADO-RS retrieval of instances: study / series as multipart/related; type="application/dicom",
// one instance also as application/dicom. transfer-syntax=* serves the stored files as they are;
// a named syntax (none named: Explicit VR Little Endian) transcodes the instances stored in
// another one (transcode.h), one instance at a time. The answer streams (RetrieveStream): files
// are read while the body is sent, so a study never sits in memory whole.
#include <optional>

#include "dicom/multipart.h"
#include "dicom/negotiation.h"
#include "dicom/retrieve_stream.h"
#include "dicom/service_impl.h"
#include "dicom/transcode.h"
#include "dicom/transfer_syntax.h"

namespace healthd::dicom {

namespace {

int status_of(const TranscodeResult& r) { return r.status == TranscodeStatus::Unreadable ? 500 : 406; }

}  // namespace

Response DicomService::Impl::retrieve(const Request& req, const Target& t) {
  std::string error;
  const bool single_allowed = !t.scope.sop_uid.empty();
  auto n = negotiate(req, "application/dicom", single_allowed, &error);
  if (!n) return problem(406, error);
  std::vector<StoredFile> files = store->files(t.scope);
  if (files.empty()) return problem(404, not_found_message(t.scope));
  const std::string_view target = requested_or_default(n->transfer_syntax);
  auto as_stored = [&](const StoredFile& f) { return target == "*" || f.transfer_syntax_uid == target; };
  // Everything that is known to fail is refused before any work.
  for (const StoredFile& f : files)
    if (!as_stored(f))
      if (TranscodeResult check = can_transcode(f.transfer_syntax_uid, target); !check.ok())
        return problem(406, "Instance " + f.sop_uid + ": " + check.message);

  Response r;
  std::optional<MultipartWriter> framing;
  if (n->multipart) framing.emplace();
  auto content_type = [&](std::string_view syntax) {
    return framing ? "multipart/related; type=\"application/dicom\"; boundary=" + framing->boundary()
                   : "application/dicom; transfer-syntax=" + std::string(syntax);
  };

  // One instance to transcode: in memory before answering, so pixels that turn out not to
  // decode still get their 406.
  if (files.size() == 1 && !as_stored(files[0])) {
    const StoredFile& f = files[0];
    std::string bytes;
    TranscodeResult done = transcode_file(f.path, target, [&](const char* d, size_t s) {
      bytes.append(d, s);
      return true;
    });
    if (!done.ok()) return problem(status_of(done), "Instance " + f.sop_uid + ": " + done.message);
    r.headers.set("Content-Type", content_type(target));
    if (!framing) {
      r.body = std::move(bytes);
      return r;
    }
    framing->add("application/dicom; transfer-syntax=" + std::string(target), bytes);
    r.body = framing->finish();
    return r;
  }

  // Everything else streams: each file is read (or transcoded) when its turn comes.
  r.headers.set("Content-Type", content_type(files[0].transfer_syntax_uid));
  try {
    r.stream = std::make_shared<RetrieveStream>(std::move(files), std::string(target), std::move(framing));
  } catch (const std::exception& e) {
    return problem(500, e.what());
  }
  return r;
}

}  // namespace healthd::dicom
