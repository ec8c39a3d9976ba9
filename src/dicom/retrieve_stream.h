// The body of a WADO-RS retrieve, produced while it is sent (common/request.h BodySource): each
// instance's file is read in pieces when its turn comes, or transcoded then (one instance in
// memory at a time), as a multipart/related part or, for one instance as application/dicom,
// alone. A study of any size costs a piece of memory, not the study.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "common/request.h"
#include "dicom/multipart.h"
#include "dicom/store.h"

namespace healthd::dicom {

class RetrieveStream final : public BodySource {
 public:
  // target: a transfer syntax UID, or "*" to serve every file as stored. framing: the multipart
  // writer whose boundary the answer announces; nullopt for a single application/dicom body.
  // Throws when a file served as stored is missing (before anything is sent).
  RetrieveStream(std::vector<StoredFile> files, std::string target, std::optional<MultipartWriter> framing);
  ~RetrieveStream() override;

  // Known when every file is served as stored; transcoded sizes are known only once done.
  std::optional<uint64_t> size() const override { return size_; }
  bool next(std::string& out, size_t max_bytes) override;

 private:
  bool as_stored(const StoredFile& f) const { return target_ == "*" || f.transfer_syntax_uid == target_; }
  // Opens or transcodes files_[index_] and appends its part head.
  void begin_instance(std::string& out);
  void close_file();

  std::vector<StoredFile> files_;
  std::vector<uint64_t> sizes_;  // on disk when listed, for the files served as stored
  std::string target_;
  std::optional<MultipartWriter> framing_;
  std::optional<uint64_t> size_;

  enum class Phase { Head, Body, End, Done };
  Phase phase_ = Phase::Head;
  size_t index_ = 0;
  int fd_ = -1;             // the current file served as stored
  uint64_t offset_ = 0;     // in the current file or transcoded
  std::string transcoded_;  // the current instance, when transcoded
};

}  // namespace healthd::dicom
