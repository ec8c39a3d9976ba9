#include "http/worker_pool.h"

#include <algorithm>

namespace healthd::http {

WorkerPool::WorkerPool(int threads, int max_queue)
    : capacity_(static_cast<size_t>(std::max(threads, 1)) + static_cast<size_t>(std::max(max_queue, 0))) {
  threads = std::max(threads, 1);
  threads_.reserve(threads);
  for (int i = 0; i < threads; ++i) threads_.emplace_back([this] { run(); });
}

WorkerPool::~WorkerPool() { stop(); }

bool WorkerPool::try_submit(Task&& task) {
  {
    std::lock_guard lock(mu_);
    if (stopping_ || queue_.size() + running_ >= capacity_) return false;
    queue_.push_back(std::move(task));
  }
  cv_.notify_one();
  return true;
}

bool WorkerPool::try_submit_to_idle(Task&& task) {
  {
    std::lock_guard lock(mu_);
    if (stopping_ || queue_.size() + running_ >= threads_.size()) return false;
    queue_.push_back(std::move(task));
  }
  cv_.notify_one();
  return true;
}

void WorkerPool::stop() {
  std::lock_guard join_lock(join_mu_);  // concurrent stop() calls must not join twice
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  for (auto& t : threads_)
    if (t.joinable()) t.join();
}

size_t WorkerPool::queue_depth() const {
  std::lock_guard lock(mu_);
  return queue_.size();
}

size_t WorkerPool::busy() const {
  std::lock_guard lock(mu_);
  return running_;
}

void WorkerPool::run() {
  std::unique_lock lock(mu_);
  for (;;) {
    cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
    if (queue_.empty()) return;  // stopping and drained
    Task task = std::move(queue_.front());
    queue_.pop_front();
    ++running_;
    lock.unlock();
    task();
    task = Task();  // destroy captured state outside the lock
    lock.lock();
    --running_;
  }
}

}  // namespace healthd::http
