// Internal to the DICOM service: what the handler files share.
#pragma once

#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "common/request.h"
#include "dicom/routes.h"
#include "dicom/service.h"
#include "dicom/settings.h"
#include "dicom/stow.h"
#include "dicom/store.h"

namespace healthd::dicom {

// What the stored DICOM JSON holds in front of a BulkDataURI path; replaced by the instance's
// URL + "/bulkdata" when the JSON is served (so the base URL is not frozen at ingest).
inline constexpr std::string_view kBulkPlaceholder = "healthd-bulk:";

// Where a request points, with its version.
struct Target {
  ApiVersion version = ApiVersion::kV2;
  InstanceScope scope;
  std::string base;  // <service base>/v1|v2
};

class Reindexer;

struct DicomService::Impl {
  ~Impl();

  std::string name;
  DicomSettings settings;
  std::shared_ptr<Store> store;
  std::unique_ptr<Reindexer> reindexer;  // runs the re-index operations of extended query tags

  // The extended query tags as of the store's tags_version (cached: STOW and QIDO read them on
  // every request).
  struct TagList {
    int64_t version = -1;
    std::vector<ExtendedQueryTagEntry> tags;
  };
  TagList current_tags();
  std::mutex tags_mu;
  TagList tags_cache;

  // SOP instances a STOW is storing right now: another upload of one of them fails with 45071.
  bool claim_instance(const std::string& sop_uid);
  void release_instance(const std::string& sop_uid);
  std::mutex in_flight_mu;
  std::set<std::string> in_flight;

  Response stow(const Request& req, const Target& t);
  Response search(const Request& req, const Target& t);
  Response retrieve(const Request& req, const Target& t);
  Response metadata(const Request& req, const Target& t);
  Response frames(const Request& req, const Target& t);
  Response bulkdata(const Request& req, const Target& t);
  Response rendered(const Request& req, const Target& t);
  Response remove(const Request& req, const Target& t);
  Response change_feed(const Request& req, const Target& t);
  Response change_feed_latest(const Request& req, const Target& t);
  Response extended_query_tags(const Request& req, const Target& t);
  Response add_extended_query_tags(const Request& req, const Target& t);
  Response operation(const Request& req, const Target& t);
};

// Helpers (service_support.cpp).

// application/problem+json with title and detail.
Response problem(int status, std::string detail);
Response dicom_json_response(int status, std::string body);
// URLs of the hierarchy below base (<service>/v2).
std::string study_url(const std::string& base, const std::string& study);
std::string series_url(const std::string& base, const std::string& study, const std::string& series);
std::string instance_url(const std::string& base, const std::string& study, const std::string& series,
                         const std::string& sop);
// Rewrites the stored JSON's BulkDataURI placeholders to the instance's /bulkdata URL.
std::string with_bulk_urls(std::string_view json, const std::string& instance_url);
// "Study 1.2.3 not found", "Series ... of study ... not found", ...
std::string not_found_message(const InstanceScope& scope);

}  // namespace healthd::dicom
