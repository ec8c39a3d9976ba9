#include "http/worker_pool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <latch>
#include <memory>

namespace healthd::http {
namespace {

TEST(WorkerPoolTest, RunsTasks) {
  std::atomic<int> done{0};
  {
    WorkerPool pool(3, 100);
    for (int i = 0; i < 50; ++i) ASSERT_TRUE(pool.try_submit([&] { ++done; }));
    pool.stop();  // drains the queue
  }
  EXPECT_EQ(done.load(), 50);
}

TEST(WorkerPoolTest, RefusesBeyondWorkersPlusQueue) {
  WorkerPool pool(2, 1);
  std::latch started(2), release(1);
  for (int i = 0; i < 2; ++i)
    ASSERT_TRUE(pool.try_submit([&] {
      started.count_down();
      release.wait();
    }));
  started.wait();
  EXPECT_EQ(pool.busy(), 2u);
  ASSERT_TRUE(pool.try_submit([] {}));  // the one queue slot
  EXPECT_EQ(pool.queue_depth(), 1u);

  // Refused: the task is left intact for the caller.
  auto flag = std::make_shared<int>(42);
  Task task([flag] {});
  EXPECT_FALSE(pool.try_submit(std::move(task)));
  EXPECT_TRUE(static_cast<bool>(task));
  EXPECT_EQ(flag.use_count(), 2);

  release.count_down();
  pool.stop();
  EXPECT_EQ(pool.busy(), 0u);
  EXPECT_EQ(pool.queue_depth(), 0u);
  EXPECT_FALSE(pool.try_submit([] {}));  // stopped
}

TEST(WorkerPoolTest, SubmitToIdleNeedsAnIdleWorker) {
  WorkerPool pool(2, 4);
  std::latch started(1), release(1);
  ASSERT_TRUE(pool.try_submit([&] {
    started.count_down();
    release.wait();
  }));
  started.wait();
  std::latch second(1);
  ASSERT_TRUE(pool.try_submit_to_idle([&] {
    second.count_down();
    release.wait();
  }));  // the second worker was idle
  second.wait();
  EXPECT_FALSE(pool.try_submit_to_idle([] {}));  // both busy: no queue slot is taken
  EXPECT_EQ(pool.queue_depth(), 0u);
  EXPECT_TRUE(pool.try_submit([] {}));  // requests still queue
  release.count_down();
  pool.stop();
}

TEST(WorkerPoolTest, MoveOnlyTask) {
  std::atomic<int> value{0};
  WorkerPool pool(1, 4);
  auto p = std::make_unique<int>(7);
  ASSERT_TRUE(pool.try_submit([p = std::move(p), &value] { value = *p; }));
  pool.stop();
  EXPECT_EQ(value.load(), 7);
}

}  // namespace
}  // namespace healthd::http
