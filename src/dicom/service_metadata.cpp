// WADO-RS metadata: the DICOM JSON stored at ingest (no file is read), BulkDataURIs pointing at
// this server, with an ETag for conditional requests.
#include "dicom/media_type.h"
#include "dicom/service_impl.h"

namespace healthd::dicom {

namespace {

// FNV-1a 64 of the body: the ETag changes whenever the answer does.
std::string etag_of(std::string_view body) {
  uint64_t h = 1469598103934665603ull;
  for (unsigned char c : body) {
    h ^= c;
    h *= 1099511628211ull;
  }
  static const char* hex = "0123456789abcdef";
  std::string out = "\"";
  for (int i = 15; i >= 0; --i) out += hex[(h >> (4 * i)) & 0xF];
  return out + "\"";
}

bool accepts_json(const Request& req) {
  auto accept = req.headers.get("Accept");
  if (!accept) return true;
  auto ranges = parse_accept(*accept);
  if (ranges.empty()) return true;
  for (const auto& m : ranges)
    if (m.q > 0 && (m.type == "application/dicom+json" || m.type == "application/json" || m.type == "*/*" ||
                    m.type == "application/*"))
      return true;
  return false;
}

bool if_none_match(const Request& req, const std::string& etag) {
  auto h = req.headers.get("If-None-Match");
  if (!h) return false;
  std::string_view v = *h;
  if (v.find('*') != std::string_view::npos) return true;
  // W/"x" and "x" both match
  return v.find(etag) != std::string_view::npos;
}

}  // namespace

Response DicomService::Impl::metadata(const Request& req, const Target& t) {
  if (!accepts_json(req))
    return problem(406, "Metadata is served as application/dicom+json; Accept '" +
                            std::string(*req.headers.get("Accept")) + "' does not allow it");
  std::vector<Store::Metadata> rows = store->metadata(t.scope);
  if (rows.empty()) return problem(404, not_found_message(t.scope));
  std::string body = "[";
  for (size_t i = 0; i < rows.size(); ++i) {
    if (i) body += ',';
    body += with_bulk_urls(rows[i].json, instance_url(t.base, rows[i].study_uid, rows[i].series_uid, rows[i].sop_uid));
  }
  body += ']';
  const std::string etag = etag_of(body);
  Response r;
  r.headers.set("ETag", etag);
  if (if_none_match(req, etag)) {
    r.status = 304;
    return r;
  }
  r.headers.set("Content-Type", "application/dicom+json");
  r.body = std::move(body);
  return r;
}

}  // namespace healthd::dicom
