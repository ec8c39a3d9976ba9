// STOW-RS: POST studies[/{study}] with multipart/related; type="application/dicom" or one
// application/dicom body. The body is in memory, or in a file for large uploads (the HTTP layer
// spills it; Request::body_file). A part in memory is parsed and checked (check_stow) from
// there, and only when accepted written to a temporary file (unnamed where the store can link
// one into place), in one write with the preamble zeroed. A part of a body file is copied to a
// temporary file with copy_file_range (the bytes never pass through memory) and opened from
// there. Every accepted instance of the request is then committed by the store in one
// transaction, shared with concurrent requests (group commit). The answer lists what was
// stored and what failed.
#include <fcntl.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <utility>

#include "common/ids.h"
#include "dicom/index.h"
#include "dicom/instance.h"
#include "dicom/json_model.h"
#include "dicom/media_type.h"
#include "dicom/multipart.h"
#include "dicom/preamble.h"
#include "dicom/raw_dataset.h"
#include "dicom/service_impl.h"
#include "dicom/stow_answer.h"

namespace healthd::dicom {

namespace {

// Where a part's bytes are: in the request body in memory, or a range of the body file.
struct PartSource {
  std::string_view memory;
  uint64_t offset = 0, length = 0;  // in the body file
};

class Fd {
 public:
  explicit Fd(int fd) : fd_(fd) {}
  ~Fd() {
    if (fd_ >= 0) ::close(fd_);
  }
  Fd(const Fd&) = delete;
  int get() const { return fd_; }

 private:
  int fd_;
};

std::string errno_text(const char* what) { return std::string(what) + ": " + std::strerror(errno); }

bool write_all(int fd, std::string_view bytes, std::string* error) {
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      *error = errno_text("cannot write a temporary file");
      return false;
    }
    done += static_cast<size_t>(n);
  }
  return true;
}

// Copies length bytes at offset of `from` to `to` inside the kernel (falls back to read/write
// in 1 MB chunks where copy_file_range is refused).
bool copy_range(int from, uint64_t offset, uint64_t length, int to, std::string* error) {
  loff_t in = static_cast<loff_t>(offset);
  uint64_t left = length;
  while (left > 0) {
    ssize_t n = ::copy_file_range(from, &in, to, nullptr, left, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EXDEV || errno == EINVAL || errno == ENOSYS || errno == EOPNOTSUPP)) break;
    if (n < 0) {
      *error = errno_text("cannot copy the upload");
      return false;
    }
    if (n == 0) {
      *error = "the upload is shorter than its multipart framing says";
      return false;
    }
    left -= static_cast<uint64_t>(n);
  }
  std::string chunk;
  while (left > 0) {
    chunk.resize(static_cast<size_t>(std::min<uint64_t>(left, 1 << 20)));
    ssize_t n = ::pread(from, chunk.data(), chunk.size(), in);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      *error = n < 0 ? errno_text("cannot read the upload") : "the upload is shorter than its multipart framing says";
      return false;
    }
    if (!write_all(to, std::string_view(chunk.data(), static_cast<size_t>(n)), error)) return false;
    in += n;
    left -= static_cast<uint64_t>(n);
  }
  return true;
}

// Writes bytes with their preamble zeroed (when they look like a Part 10 file: "DICM" at 128),
// in one write: the stored file is ready as soon as the checks accept it.
bool write_zeroed_preamble(int fd, std::string_view bytes, std::string* error) {
  if (bytes.size() < kPreambleSize + 4 || bytes.substr(kPreambleSize, 4) != "DICM")
    return write_all(fd, bytes, error);
  static const char zeros[kPreambleSize] = {};
  iovec parts[2] = {{const_cast<char*>(zeros), kPreambleSize},
                    {const_cast<char*>(bytes.data() + kPreambleSize), bytes.size() - kPreambleSize}};
  ssize_t n;
  do n = ::writev(fd, parts, 2);
  while (n < 0 && errno == EINTR);
  if (n < 0) {
    *error = errno_text("cannot write a temporary file");
    return false;
  }
  // A short write (rare for a regular file): the rest as plain writes.
  const size_t done = static_cast<size_t>(n);
  if (done < kPreambleSize) return write_all(fd, std::string_view(zeros + done, kPreambleSize - done), error) &&
                                    write_all(fd, bytes.substr(kPreambleSize), error);
  return write_all(fd, bytes.substr(done), error);
}

// Writes a part to a new file; false with *error. A part in memory is written with its preamble
// zeroed; a part of a body file (body_fd) is copied as it is (zero_preamble follows).
bool write_part(const std::string& path, const PartSource& part, int body_fd, std::string* error) {
  Fd out(::open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640));
  if (out.get() < 0) {
    *error = errno_text("cannot create a temporary file");
    return false;
  }
  if (body_fd >= 0) return copy_range(body_fd, part.offset, part.length, out.get(), error);
  return write_zeroed_preamble(out.get(), part.memory, error);
}

// A staged upload: a named file, or an unnamed one (fd) the store links into place.
struct TempFile {
  std::string path;
  int fd = -1;
  TempFile() = default;
  TempFile(const TempFile&) = delete;
  ~TempFile() {
    if (fd >= 0) ::close(fd);
    if (!path.empty()) {
      std::error_code ec;
      std::filesystem::remove(path, ec);
    }
  }
};

// One part of the request on its way to the store.
struct Staged {
  StowItem item;
  TempFile temp;
  NewInstance instance;

  // The instance takes its staged upload: ready for put().
  void hand_over_upload(uint64_t size) {
    instance.temp_file = temp.path;
    instance.temp_fd = temp.fd;
    instance.size = static_cast<int64_t>(size);
  }
};

// Unnamed uploads stay open until the commit: a request of many small parts (a body in memory
// is at most 1 MB) takes named files beyond these, so it cannot use up the process's descriptors.
constexpr size_t kMaxUnnamedUploadsPerRequest = 32;

// The SOP instance UIDs a request claimed in the service's in-flight set, released at the end.
struct Claims {
  DicomService::Impl& service;
  std::set<std::string> sops;
  ~Claims() {
    for (const auto& sop : sops) service.release_instance(sop);
  }
};

std::vector<ExtendedQueryTag> to_extended(const std::vector<ExtendedQueryTagEntry>& tags) {
  std::vector<ExtendedQueryTag> out;
  for (const auto& t : tags) out.push_back({t.tag, t.vr, t.private_creator});
  return out;
}

// Checks a part read by `dataset` (an Instance, or the fast reader's RawDataset); when accepted
// fills the instance's JSON and index (with the extended query tags of `tags`).
template <typename Dataset>
void analyze_dataset(Staged& s, const Dataset& dataset, const Target& t, const DicomService::Impl::TagList& tags) {
  std::string error;
  StowOptions options;
  options.version = t.version;
  options.study_uid = t.scope.study_uid;
  options.extended_query_tags = to_extended(tags.tags);
  s.item.check = check_stow(dataset, options);
  if (!s.item.check.accepted()) return;
  NewInstance& ni = s.instance;
  JsonOptions jo;
  jo.bulk_data_base = std::string(kBulkPlaceholder);
  ni.metadata_json = to_dicom_json_text(dataset, jo, &error);
  if (ni.metadata_json.empty()) {
    s.item.check = unreadable_instance("cannot build the DICOM JSON: " + error);
    return;
  }
  ni.index = extract_index(dataset, options.extended_query_tags);
  // The index reads the UIDs the checks accepted (as found, padding removed).
  ni.index.study_instance_uid = s.item.check.study_instance_uid;
  ni.index.series_instance_uid = s.item.check.series_instance_uid;
  ni.index.sop_instance_uid = s.item.check.sop_instance_uid;
  ni.index.sop_class_uid = s.item.check.sop_class_uid;
  ni.extended_tags = tags.tags;
  ni.tags_version = tags.version;
}

// Opens a part (from memory, or the staged upload of a body file) and analyzes it. A part in
// memory is read by the fast reader when it can (raw_dataset.h), else by DCMTK. Never throws
// for bad input.
void analyze(Staged& s, const PartSource& part, bool in_file, const Target& t, const DicomService::Impl::TagList& tags) {
  const OpenOptions open_options;
  if (!in_file) {
    if (auto raw = detail::RawDataset::read(part.memory, open_options.max_sequence_depth)) {
      analyze_dataset(s, *raw, t, tags);
      return;
    }
  }
  std::string error;
  auto instance = in_file ? Instance::open(s.temp.path, &error) : Instance::parse(part.memory, &error);
  if (!instance) {
    s.item.check = unreadable_instance(error);
    return;
  }
  analyze_dataset(s, *instance, t, tags);
}

// The request's announcement of its put (Store::announce_put): handed to its first put, or
// withdrawn when the request ends without one.
class PutAnnouncement {
 public:
  explicit PutAnnouncement(Store& store) : store_(store) { store_.announce_put(); }
  ~PutAnnouncement() {
    if (active_) store_.withdraw_put();
  }
  PutAnnouncement(const PutAnnouncement&) = delete;
  // For Store::put(..., announced): true once.
  bool hand_to_put() { return std::exchange(active_, false); }

 private:
  Store& store_;
  bool active_ = true;
};

void fail_processing(StowItem& item, std::string message) {
  item.check.failure_reason = failure::kProcessingFailure;
  item.check.message = std::move(message);
}

}  // namespace

Response DicomService::Impl::stow(const Request& req, const Target& t) {
  auto content_type = req.headers.get("Content-Type");
  if (!content_type)
    return problem(415, "Content-Type is required: multipart/related; type=\"application/dicom\" or application/dicom");
  auto media = parse_media_type(*content_type);
  if (!media) return problem(415, "Content-Type '" + std::string(*content_type) + "' cannot be read");

  // The body: in memory, or in the file the HTTP layer spilled it to.
  std::optional<Fd> body_fd;
  uint64_t body_size = req.body.size();
  if (req.body_file) {
    body_fd.emplace(::open(req.body_file->path.c_str(), O_RDONLY | O_CLOEXEC));
    if (body_fd->get() < 0) return problem(500, errno_text("cannot read the uploaded body"));
    body_size = req.body_file->size;
  }
  const int fd = body_fd ? body_fd->get() : -1;

  std::vector<PartSource> parts;
  if (media->type == "application/dicom") {
    if (body_size > 0) parts.push_back({req.body, 0, body_size});
  } else if (media->type == "multipart/related") {
    auto type = media->param("type");
    if (type && *type != "application/dicom")
      return problem(415, "multipart/related of type '" + std::string(*type) +
                              "' is not supported: only type=\"application/dicom\" (Part 10 files)");
    auto boundary = media->param("boundary");
    if (!boundary || boundary->empty()) return problem(400, "multipart/related without a boundary parameter");
    std::vector<PartRange> ranges;
    std::string error;
    const ReadAt read = [&](uint64_t offset, char* out, size_t n) -> size_t {
      if (fd < 0) {
        if (offset >= req.body.size()) return 0;
        n = std::min<size_t>(n, req.body.size() - static_cast<size_t>(offset));
        std::memcpy(out, req.body.data() + offset, n);
        return n;
      }
      size_t done = 0;
      while (done < n) {
        ssize_t got = ::pread(fd, out + done, n - done, static_cast<off_t>(offset + done));
        if (got < 0 && errno == EINTR) continue;
        if (got <= 0) break;
        done += static_cast<size_t>(got);
      }
      return done;
    };
    // A body of only whitespace is an empty request (204), as one without parts.
    std::string head(static_cast<size_t>(std::min<uint64_t>(body_size, 4096)), '\0');
    head.resize(read(0, head.data(), head.size()));
    const bool blank = body_size <= head.size() && head.find_first_not_of(" \t\r\n") == std::string::npos;
    if (!blank && !parse_multipart_ranges(body_size, read, *boundary, ranges, &error))
      return problem(400, "Malformed multipart body: " + error);
    for (size_t i = 0; i < ranges.size(); ++i) {
      if (!ranges[i].content_type.empty()) {
        auto pm = parse_media_type(ranges[i].content_type);
        if (!pm || pm->type != "application/dicom")
          return problem(415, "part " + std::to_string(i + 1) + " is '" + ranges[i].content_type +
                                  "': every part must be application/dicom");
      }
      PartSource p{{}, ranges[i].offset, ranges[i].length};
      if (fd < 0) p.memory = std::string_view(req.body).substr(ranges[i].offset, ranges[i].length);
      parts.push_back(p);
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

  PutAnnouncement announcement(*store);  // a commit starting meanwhile may wait for this request

  // Stage every part: checks, JSON, index; claim its SOP instance UID; its file. A part in
  // memory is parsed from there and written only when accepted; a part of a body file is copied
  // to its file first (in the kernel) and opened from there.
  TagList tags = current_tags();
  std::vector<Staged> staged(parts.size());
  Claims claims{*this, {}};  // a repeat within the request is the store's call (45070)
  std::vector<size_t> batch;   // staged entries to commit
  const bool in_file = fd >= 0;
  size_t unnamed_uploads = 0;
  for (size_t i = 0; i < parts.size(); ++i) {
    Staged& s = staged[i];
    auto temp_path = [&] { return (std::filesystem::path(store->temp_dir()) / (new_uuid() + ".part")).string(); };
    std::string error;
    if (in_file) {
      s.temp.path = temp_path();
      if (!write_part(s.temp.path, parts[i], fd, &error)) {
        s.item.check = unreadable_instance(error);
        continue;
      }
    }
    analyze(s, parts[i], in_file, t, tags);
    if (!s.item.check.accepted()) continue;
    const std::string& sop = s.item.check.sop_instance_uid;
    if (!claims.sops.contains(sop)) {
      if (!claim_instance(sop)) {
        s.item.check.failure_reason = failure::kInstanceBeingCreated;
        s.item.check.message = "instance " + sop + " is being stored by another request";
        continue;
      }
      claims.sops.insert(sop);
    }
    bool ready;
    if (in_file) {
      ready = zero_preamble(s.temp.path, &error);
    } else if (unnamed_uploads < kMaxUnnamedUploadsPerRequest && (s.temp.fd = store->open_unnamed_upload()) >= 0) {
      ++unnamed_uploads;
      ready = write_zeroed_preamble(s.temp.fd, parts[i].memory, &error);
    } else {
      s.temp.path = temp_path();
      ready = write_part(s.temp.path, parts[i], -1, &error);
    }
    if (!ready) {
      fail_processing(s.item, error);
      continue;
    }
    s.hand_over_upload(parts[i].length);
    batch.push_back(i);
  }

  // One transaction for the request. The extended query tags may change meanwhile: index again.
  for (int attempt = 0; !batch.empty(); ++attempt) {
    std::vector<NewInstance> instances;
    for (size_t i : batch) instances.push_back(std::move(staged[i].instance));
    std::vector<PutResult> results = store->put(instances, settings.overwrite, announcement.hand_to_put());
    if (results.empty() || results.front().status != PutResult::Status::StaleTags || attempt >= 3) {
      for (size_t k = 0; k < batch.size(); ++k) {
        Staged& s = staged[batch[k]];
        if (results[k].status != PutResult::Status::StaleTags) s.temp.path.clear();  // moved or removed
        switch (results[k].status) {
          case PutResult::Status::Created:
          case PutResult::Status::Replaced: s.item.stored = true; break;
          case PutResult::Status::Exists:
            s.item.check.failure_reason = failure::kInstanceExists;
            s.item.check.message = "instance " + s.item.check.sop_instance_uid + " already exists";
            break;
          case PutResult::Status::StaleTags:
            fail_processing(s.item, "the extended query tags kept changing while the instance was stored; retry");
            break;
          case PutResult::Status::Error: fail_processing(s.item, results[k].message); break;
        }
      }
      break;
    }
    tags = current_tags();
    std::vector<size_t> again;
    for (size_t i : batch) {
      analyze(staged[i], parts[i], in_file, t, tags);
      if (!staged[i].item.check.accepted()) continue;
      staged[i].hand_over_upload(parts[i].length);
      again.push_back(i);
    }
    batch.swap(again);
  }
  std::vector<StowItem> items;
  items.reserve(staged.size());
  for (Staged& s : staged) items.push_back(std::move(s.item));
  return stow_answer(items, t);
}

}  // namespace healthd::dicom
