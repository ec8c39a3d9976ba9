#include "dicom/retrieve_stream.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>

#include "dicom/transcode.h"

namespace healthd::dicom {

namespace {

std::string part_type(std::string_view syntax) { return "application/dicom; transfer-syntax=" + std::string(syntax); }

std::runtime_error file_error(const StoredFile& f, const char* what) {
  return std::runtime_error("cannot " + std::string(what) + " the stored instance " + f.sop_uid + ": " +
                            std::strerror(errno));
}

}  // namespace

RetrieveStream::RetrieveStream(std::vector<StoredFile> files, std::string target,
                               std::optional<MultipartWriter> framing)
    : files_(std::move(files)), target_(std::move(target)), framing_(std::move(framing)) {
  uint64_t total = framing_ ? framing_->close_delimiter().size() : 0;
  bool known = true;
  sizes_.resize(files_.size());
  for (size_t i = 0; i < files_.size(); ++i) {
    const StoredFile& f = files_[i];
    if (!as_stored(f)) {
      known = false;
      continue;
    }
    struct stat st {};
    if (::stat(f.path.c_str(), &st) != 0) throw file_error(f, "read");
    sizes_[i] = static_cast<uint64_t>(st.st_size);
    total += sizes_[i];
    if (framing_) total += framing_->part_head(part_type(f.transfer_syntax_uid)).size() + MultipartWriter::kPartEnd.size();
  }
  if (known) size_ = total;
}

RetrieveStream::~RetrieveStream() { close_file(); }

void RetrieveStream::close_file() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
}

void RetrieveStream::begin_instance(std::string& out) {
  const StoredFile& f = files_[index_];
  offset_ = 0;
  if (as_stored(f)) {
    fd_ = ::open(f.path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd_ < 0) throw file_error(f, "open");
    // Replaced (overwrite) since it was listed: its new length would break the announced one.
    struct stat st {};
    if (::fstat(fd_, &st) != 0 || static_cast<uint64_t>(st.st_size) != sizes_[index_])
      throw std::runtime_error("the stored instance " + f.sop_uid + " changed while it was sent");
    if (framing_) out += framing_->part_head(part_type(f.transfer_syntax_uid));
    return;
  }
  transcoded_.clear();
  TranscodeResult done = transcode_file(f.path, target_, [this](const char* d, size_t n) {
    transcoded_.append(d, n);
    return true;
  });
  if (!done.ok()) throw std::runtime_error("Instance " + f.sop_uid + ": " + done.message);
  if (framing_) out += framing_->part_head(part_type(target_));
}

bool RetrieveStream::next(std::string& out, size_t max_bytes) {
  out.clear();
  max_bytes = std::max<size_t>(max_bytes, 1);
  while (out.size() < max_bytes && phase_ != Phase::Done) {
    switch (phase_) {
      case Phase::Head:
        if (index_ == files_.size()) {
          if (framing_) out += framing_->close_delimiter();
          phase_ = Phase::Done;
          break;
        }
        begin_instance(out);
        phase_ = Phase::Body;
        break;
      case Phase::Body: {
        const size_t room = max_bytes - out.size();
        if (fd_ >= 0) {
          const uint64_t left = sizes_[index_] - offset_;
          const size_t want = static_cast<size_t>(std::min<uint64_t>(left, room));
          const size_t at = out.size();
          out.resize(at + want);
          size_t got = 0;
          while (got < want) {
            ssize_t n = ::pread(fd_, out.data() + at + got, want - got, static_cast<off_t>(offset_ + got));
            if (n < 0 && errno == EINTR) continue;
            if (n < 0) throw file_error(files_[index_], "read");
            if (n == 0) throw std::runtime_error("the stored instance " + files_[index_].sop_uid + " is shorter than listed");
            got += static_cast<size_t>(n);
          }
          offset_ += want;
          if (offset_ == sizes_[index_]) {
            close_file();
            phase_ = Phase::End;
          }
        } else {
          const size_t want = std::min<size_t>(transcoded_.size() - offset_, room);
          out.append(transcoded_, offset_, want);
          offset_ += want;
          if (offset_ == transcoded_.size()) {
            std::string().swap(transcoded_);
            phase_ = Phase::End;
          }
        }
        break;
      }
      case Phase::End:
        if (framing_) out += MultipartWriter::kPartEnd;
        ++index_;
        phase_ = Phase::Head;
        break;
      case Phase::Done: break;
    }
  }
  return !out.empty();
}

}  // namespace healthd::dicom
