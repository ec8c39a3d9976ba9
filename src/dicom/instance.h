// An uploaded or stored DICOM Part 10 file, opened for reading with DCMTK.
//
// Large values stay in the file: only element headers and values up to
// OpenOptions::max_read_length bytes are read when the file is opened; a longer
// value is read from the file when something asks for it (the JSON model never
// asks for binary bulk values, so a 2 GB instance costs kilobytes of memory).
// The file must therefore stay in place while the Instance is alive. (A deflated transfer
// syntax cannot be read in place: DCMTK inflates such a file in memory.)
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace healthd::dicom {

struct OpenOptions {
  uint32_t max_read_length = 4096;
  // Deeper nesting of sequences is refused before DCMTK, which parses recursively, sees it.
  int max_sequence_depth = 64;
};

// Not thread-safe: values load lazily. One Instance per request/thread.
class Instance {
 public:
  // nullptr and *error set when path is not a readable DICOM Part 10 file
  // (no preamble + "DICM" + File Meta Information with a Transfer Syntax UID,
  // a dataset that cannot be parsed to its end, or sequences nested too deep).
  static std::unique_ptr<Instance> open(const std::string& path, std::string* error,
                                        const OpenOptions& options = {});
  // The same for a Part 10 file in memory (an upload part). Every value is read (copied), so
  // bytes need not outlive the Instance; path() is "". For bytes of a bounded size only.
  static std::unique_ptr<Instance> parse(std::string_view bytes, std::string* error,
                                         const OpenOptions& options = {});
  ~Instance();
  Instance(const Instance&) = delete;
  Instance& operator=(const Instance&) = delete;

  const std::string& path() const;
  const std::string& transfer_syntax_uid() const;

  struct Impl;  // DCMTK state; defined in instance_impl.h (src/dicom only)
  Impl& impl() const { return *impl_; }

 private:
  explicit Instance(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace healthd::dicom
