// STOW-RS: POST studies[/{study}] with multipart/related; type="application/dicom" or one
// application/dicom body. Each part goes to a temporary file, is opened and checked
// (check_stow), and committed by the store; the answer lists what was stored and what failed.
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "common/ids.h"
#include "dicom/index.h"
#include "dicom/instance.h"
#include "dicom/json_model.h"
#include "dicom/media_type.h"
#include "dicom/multipart.h"
#include "dicom/preamble.h"
#include "dicom/service_impl.h"
#include "dicom/stow_answer.h"

namespace healthd::dicom {

namespace {

// Writes bytes to a new file and fsyncs it; false with *error.
bool write_file(const std::string& path, std::string_view bytes, std::string* error) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
  if (fd < 0) {
    *error = "cannot create a temporary file: " + std::string(std::strerror(errno));
    return false;
  }
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      *error = "cannot write a temporary file: " + std::string(std::strerror(errno));
      ::close(fd);
      return false;
    }
    done += static_cast<size_t>(n);
  }
  ::close(fd);
  return true;
}

bool fsync_file(const std::string& path, std::string* error) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0 || ::fsync(fd) != 0) {
    *error = "cannot sync " + path + ": " + std::strerror(errno);
    if (fd >= 0) ::close(fd);
    return false;
  }
  ::close(fd);
  return true;
}

struct TempFile {
  std::string path;
  ~TempFile() {
    if (!path.empty()) {
      std::error_code ec;
      std::filesystem::remove(path, ec);
    }
  }
};

}  // namespace

// One part: check, then store. Never throws for bad input.
static StowItem store_one(DicomService::Impl& self, std::string_view bytes, const Target& t) {
  StowItem item;
  TempFile temp{(std::filesystem::path(self.store->temp_dir()) / (new_uuid() + ".part")).string()};
  std::string error;
  if (!write_file(temp.path, bytes, &error)) {
    item.check = unreadable_instance(error);
    return item;
  }
  NewInstance ni;
  {
    auto instance = Instance::open(temp.path, &error);
    if (!instance) {
      item.check = unreadable_instance(error);
      return item;
    }
    StowOptions options;
    options.version = t.version;
    options.study_uid = t.scope.study_uid;
    item.check = check_stow(*instance, options);
    if (!item.check.accepted()) return item;
    JsonOptions jo;
    jo.bulk_data_base = std::string(kBulkPlaceholder);
    ni.metadata_json = to_dicom_json_text(*instance, jo, &error);
    if (ni.metadata_json.empty()) {
      item.check = unreadable_instance("cannot build the DICOM JSON: " + error);
      return item;
    }
    ni.index = extract_index(*instance);
  }
  // The index reads the UIDs the checks accepted (as found, padding removed).
  ni.index.study_instance_uid = item.check.study_instance_uid;
  ni.index.series_instance_uid = item.check.series_instance_uid;
  ni.index.sop_instance_uid = item.check.sop_instance_uid;
  ni.index.sop_class_uid = item.check.sop_class_uid;
  if (!zero_preamble(temp.path, &error) || !fsync_file(temp.path, &error)) {
    item.check.failure_reason = failure::kProcessingFailure;
    item.check.message = error;
    return item;
  }
  ni.temp_file = temp.path;
  ni.size = static_cast<int64_t>(bytes.size());
  PutResult put = self.store->put(ni, self.settings.overwrite);
  temp.path.clear();  // the store moved or removed it
  switch (put.status) {
    case PutResult::Status::Created:
    case PutResult::Status::Replaced: item.stored = true; break;
    case PutResult::Status::Exists:
      item.check.failure_reason = failure::kInstanceExists;
      item.check.message = "instance " + item.check.sop_instance_uid + " already exists";
      break;
    case PutResult::Status::Error:
      item.check.failure_reason = failure::kProcessingFailure;
      item.check.message = put.message;
      break;
  }
  return item;
}

Response DicomService::Impl::stow(const Request& req, const Target& t) {
  auto content_type = req.headers.get("Content-Type");
  if (!content_type)
    return problem(415, "Content-Type is required: multipart/related; type=\"application/dicom\" or application/dicom");
  auto media = parse_media_type(*content_type);
  if (!media) return problem(415, "Content-Type '" + std::string(*content_type) + "' cannot be read");

  std::vector<BodyPart> parts;
  if (media->type == "application/dicom") {
    if (!req.body.empty()) parts.push_back({"application/dicom", req.body});
  } else if (media->type == "multipart/related") {
    auto type = media->param("type");
    if (type && *type != "application/dicom")
      return problem(415, "multipart/related of type '" + std::string(*type) +
                              "' is not supported: only type=\"application/dicom\" (Part 10 files)");
    auto boundary = media->param("boundary");
    if (!boundary || boundary->empty()) return problem(400, "multipart/related without a boundary parameter");
    if (req.body.find_first_not_of(" \t\r\n") != std::string::npos) {
      std::string error;
      if (!parse_multipart(req.body, *boundary, parts, &error)) return problem(400, "Malformed multipart body: " + error);
    }
    for (size_t i = 0; i < parts.size(); ++i) {
      if (parts[i].content_type.empty()) continue;
      auto pm = parse_media_type(parts[i].content_type);
      if (!pm || pm->type != "application/dicom")
        return problem(415, "part " + std::to_string(i + 1) + " is '" + parts[i].content_type +
                                "': every part must be application/dicom");
    }
  } else {
    return problem(415, "Content-Type '" + media->type +
                            "' is not supported: use multipart/related; type=\"application/dicom\" or application/dicom");
  }
  if (parts.empty()) {
    Response r;
    r.status = 204;
    return r;
  }
  std::vector<StowItem> items;
  items.reserve(parts.size());
  for (const BodyPart& p : parts) items.push_back(store_one(*this, p.body, t));
  return stow_answer(items, t);
}

}  // namespace healthd::dicom
