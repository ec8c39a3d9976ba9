// Bounded pool of threads for blocking work (SQL, file I/O, transcoding).
// It never queues without bound: try_submit refuses work once every worker is
// busy and max_queue tasks are already waiting, so callers can shed load (503).
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <memory>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

namespace healthd::http {

// Move-only void() callable (std::move_only_function is C++23).
class Task {
 public:
  Task() = default;
  template <class F>
  Task(F f) : impl_(std::make_unique<Impl<F>>(std::move(f))) {}  // NOLINT: implicit on purpose

  void operator()() { impl_->run(); }
  explicit operator bool() const { return impl_ != nullptr; }

 private:
  struct Base {
    virtual ~Base() = default;
    virtual void run() = 0;
  };
  template <class F>
  struct Impl final : Base {
    explicit Impl(F f) : fn(std::move(f)) {}
    void run() override { fn(); }
    F fn;
  };
  std::unique_ptr<Base> impl_;
};

class WorkerPool {
 public:
  // threads >= 1; max_queue >= 0 is how many tasks may wait beyond the busy workers.
  WorkerPool(int threads, int max_queue);
  ~WorkerPool();  // stop()

  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  // Queues the task, or returns false (leaving `task` untouched) when the pool is
  // saturated or stopped. Tasks must not throw.
  bool try_submit(Task&& task);
  // Like try_submit, but only when a worker is idle now (nothing queued ahead of it): for optional
  // helpers of a running task, which must not take queue slots from requests.
  bool try_submit_to_idle(Task&& task);

  // Refuses new tasks, runs the ones already queued, joins the threads. Idempotent.
  void stop();

  size_t queue_depth() const;  // accepted, not yet started
  size_t busy() const;         // running now

 private:
  void run();

  const size_t capacity_;  // threads + max_queue: most tasks queued or running at once
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Task> queue_;
  size_t running_ = 0;
  bool stopping_ = false;
  std::mutex join_mu_;
  std::vector<std::thread> threads_;
};

}  // namespace healthd::http
