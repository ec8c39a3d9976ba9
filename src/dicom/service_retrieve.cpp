// WADO-RS retrieval of instances: study / series as multipart/related; type="application/dicom",
// one instance also as application/dicom. The stored transfer syntax is served as is; asking
// for another one answers 406 until transcoding arrives.
#include "dicom/multipart.h"
#include "dicom/negotiation.h"
#include "dicom/service_impl.h"

namespace healthd::dicom {

Response DicomService::Impl::retrieve(const Request& req, const Target& t) {
  std::string error;
  const bool single_allowed = !t.scope.sop_uid.empty();
  auto n = negotiate(req, "application/dicom", single_allowed, &error);
  if (!n) return problem(406, error);
  std::vector<StoredFile> files = store->files(t.scope);
  if (files.empty()) return problem(404, not_found_message(t.scope));
  if (!n->transfer_syntax.empty() && n->transfer_syntax != "*")
    for (const StoredFile& f : files)
      if (f.transfer_syntax_uid != n->transfer_syntax)
        return problem(406, "Instance " + f.sop_uid + " is stored in transfer syntax " + f.transfer_syntax_uid +
                                "; transcoding to " + n->transfer_syntax +
                                " is not supported yet (it arrives in a later release). Ask for transfer-syntax=* to "
                                "get the stored syntax");
  Response r;
  if (!n->multipart) {
    if (!read_whole_file(files[0].path, r.body)) return problem(500, "cannot read the stored instance " + files[0].sop_uid);
    r.headers.set("Content-Type", "application/dicom; transfer-syntax=" + files[0].transfer_syntax_uid);
    return r;
  }
  MultipartWriter out;
  std::string bytes;
  for (const StoredFile& f : files) {
    if (!read_whole_file(f.path, bytes)) return problem(500, "cannot read the stored instance " + f.sop_uid);
    out.add("application/dicom; transfer-syntax=" + f.transfer_syntax_uid, bytes);
  }
  r.headers.set("Content-Type", "multipart/related; type=\"application/dicom\"; boundary=" + out.boundary());
  r.body = out.finish();
  return r;
}

}  // namespace healthd::dicom
