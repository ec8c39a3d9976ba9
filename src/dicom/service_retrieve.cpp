// WADO-RS retrieval of instances: study / series as multipart/related; type="application/dicom",
// one instance also as application/dicom. transfer-syntax=* serves the stored files as they are;
// a named syntax (none named: Explicit VR Little Endian) transcodes the instances stored in
// another one (transcode.h), one instance at a time.
#include <optional>

#include "dicom/multipart.h"
#include "dicom/negotiation.h"
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

  // Appends one instance, as stored or transcoded, through `begin` (its part's media type) and
  // `append`; an error Response when it cannot.
  std::string bytes;
  auto write_instance = [&](const StoredFile& f, const auto& begin, const BulkSink& append) -> std::optional<Response> {
    if (as_stored(f)) {
      if (!read_whole_file(f.path, bytes)) return problem(500, "cannot read the stored instance " + f.sop_uid);
      begin(f.transfer_syntax_uid);
      append(bytes.data(), bytes.size());
      return std::nullopt;
    }
    begin(std::string(target));
    TranscodeResult done = transcode_file(f.path, target, append);
    if (!done.ok()) return problem(status_of(done), "Instance " + f.sop_uid + ": " + done.message);
    return std::nullopt;
  };

  Response r;
  if (!n->multipart) {
    auto failed = write_instance(
        files[0], [&](const std::string& syntax) { r.headers.set("Content-Type", "application/dicom; transfer-syntax=" + syntax); },
        [&](const char* d, size_t s) {
          r.body.append(d, s);
          return true;
        });
    return failed ? *failed : r;
  }
  MultipartWriter out;
  for (const StoredFile& f : files) {
    auto failed = write_instance(
        f, [&](const std::string& syntax) { out.begin("application/dicom; transfer-syntax=" + syntax); },
        [&](const char* d, size_t s) {
          out.append(d, s);
          return true;
        });
    if (failed) return *failed;
    out.end();
  }
  r.headers.set("Content-Type", "multipart/related; type=\"application/dicom\"; boundary=" + out.boundary());
  r.body = out.finish();
  return r;
}

}  // namespace healthd::dicom
