// Runs the re-index operations of a DICOM service in the background: after extended query tags
// are added, every stored instance is read once more and its values for the new tags indexed
// (or its invalid values recorded as errors). One thread per service; progress is kept in the
// store after every step, so an operation interrupted by a restart resumes where it stopped.
#pragma once

#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

namespace healthd::dicom {

class Store;
struct Operation;

class Reindexer {
 public:
  // name: for the log. Starts the thread, which first resumes unfinished operations.
  Reindexer(std::string name, std::shared_ptr<Store> store, size_t batch_size = 64);
  ~Reindexer();  // stop()

  // A new operation was stored: run it.
  void wake();
  // Stops after the current step; idempotent.
  void stop();

 private:
  void run();
  // Runs one operation to its end (or until stopped).
  void run_operation(const Operation& operation);
  bool stopping();

  const std::string name_;
  const std::shared_ptr<Store> store_;
  const size_t batch_size_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  bool pending_ = true;  // look for operations
  std::thread thread_;
};

}  // namespace healthd::dicom
