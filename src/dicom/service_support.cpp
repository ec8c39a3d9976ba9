#include "common/outcome.h"
#include "dicom/service_impl.h"
#include "json/json.h"

namespace healthd::dicom {

namespace {

const char* title_of(int status) {
  switch (status) {
    case 400: return "Bad Request";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 406: return "Not Acceptable";
    case 409: return "Conflict";
    case 413: return "Payload Too Large";
    case 415: return "Unsupported Media Type";
    case 503: return "Service Unavailable";
    default: return status >= 500 ? "Internal Server Error" : "Error";
  }
}

}  // namespace

Response problem(int status, std::string detail) {
  json::Document doc(rapidjson::kObjectType);
  auto& a = doc.GetAllocator();
  doc.AddMember("type", "about:blank", a);
  doc.AddMember("title", rapidjson::StringRef(title_of(status)), a);
  doc.AddMember("status", status, a);
  doc.AddMember("detail", json::str(detail, a), a);
  Response r;
  r.status = status;
  r.headers.set("Content-Type", "application/problem+json");
  r.body = json::to_string(doc);
  return r;
}

Response dicom_json_response(int status, std::string body) {
  Response r;
  r.status = status;
  r.headers.set("Content-Type", "application/dicom+json");
  r.body = std::move(body);
  return r;
}

std::string study_url(const std::string& base, const std::string& study) { return base + "/studies/" + study; }

std::string series_url(const std::string& base, const std::string& study, const std::string& series) {
  return study_url(base, study) + "/series/" + series;
}

std::string instance_url(const std::string& base, const std::string& study, const std::string& series,
                         const std::string& sop) {
  return series_url(base, study, series) + "/instances/" + sop;
}

std::string with_bulk_urls(std::string_view json, const std::string& instance_url) {
  const std::string needle = "\"BulkDataURI\":\"" + std::string(kBulkPlaceholder);
  const std::string replacement = "\"BulkDataURI\":\"" + instance_url + "/bulkdata";
  std::string out;
  out.reserve(json.size());
  size_t pos = 0;
  while (true) {
    const size_t at = json.find(needle, pos);
    if (at == std::string_view::npos) break;
    out.append(json.substr(pos, at - pos));
    out += replacement;
    pos = at + needle.size();
  }
  out.append(json.substr(pos));
  return out;
}

std::string not_found_message(const InstanceScope& s) {
  if (!s.sop_uid.empty())
    return "Instance " + s.sop_uid + " of series " + s.series_uid + " of study " + s.study_uid + " not found";
  if (!s.series_uid.empty()) return "Series " + s.series_uid + " of study " + s.study_uid + " not found";
  return "Study " + s.study_uid + " not found";
}

}  // namespace healthd::dicom
