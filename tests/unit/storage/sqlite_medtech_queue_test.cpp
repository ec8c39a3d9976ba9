// The durable MedTech queue: order, acknowledgement, dead letters, replay, reopen.
#include <gtest/gtest.h>

#include "storage/sqlite_medtech_queue.h"
#include "storage_test_util.h"

namespace healthd::storage {
namespace {

using testing::TempDir;

std::unique_ptr<medtech::MessageQueue> open_queue(const TempDir& dir) {
  return open_sqlite_medtech_queue({dir.file("queue.db"), false});
}

TEST(SqliteMedtechQueue, PeeksInOrderWithoutRemoving) {
  TempDir dir;
  auto q = open_queue(dir);
  q->push({"{\"a\":1}", "{\"a\":2}"}, 100);
  q->push({"{\"a\":3}"}, 200);
  EXPECT_EQ(q->size(), 3u);
  auto batch = q->peek(2);
  ASSERT_EQ(batch.size(), 2u);
  EXPECT_EQ(batch[0].payload, "{\"a\":1}");
  EXPECT_EQ(batch[1].payload, "{\"a\":2}");
  EXPECT_LT(batch[0].seq, batch[1].seq);
  EXPECT_EQ(batch[0].received_us, 100);
  EXPECT_EQ(q->peek(10).size(), 3u);
}

TEST(SqliteMedtechQueue, AckRemovesAndStoresDeadLettersAtomically) {
  TempDir dir;
  auto q = open_queue(dir);
  q->push({"m1", "m2", "m3"}, 1);
  auto batch = q->peek(2);
  q->ack(batch.back().seq, {{0, 5, "normalize", "NoTemplateMatched", "no template", "m2"}});
  EXPECT_EQ(q->size(), 1u);
  EXPECT_EQ(q->peek(10)[0].payload, "m3");
  auto dead = q->dead_letters(10);
  ASSERT_EQ(dead.size(), 1u);
  EXPECT_EQ(dead[0].stage, "normalize");
  EXPECT_EQ(dead[0].kind, "NoTemplateMatched");
  EXPECT_EQ(dead[0].reason, "no template");
  EXPECT_EQ(dead[0].payload, "m2");
  EXPECT_EQ(dead[0].at_us, 5);
  EXPECT_EQ(q->dead_letter_count(), 1u);
}

TEST(SqliteMedtechQueue, ReplayQueuesEachDistinctPayloadOnce) {
  TempDir dir;
  auto q = open_queue(dir);
  q->push({"m1"}, 1);
  q->ack(q->peek(1)[0].seq, {{0, 1, "transform", "A", "r1", "m1"}, {0, 1, "transform", "B", "r2", "m1"},
                             {0, 1, "normalize", "C", "r3", "m0"}});
  EXPECT_EQ(q->size(), 0u);
  EXPECT_EQ(q->replay_dead_letters(9), 2u);
  EXPECT_EQ(q->dead_letter_count(), 0u);
  auto batch = q->peek(10);
  ASSERT_EQ(batch.size(), 2u);
  EXPECT_EQ(batch[0].payload, "m1");
  EXPECT_EQ(batch[1].payload, "m0");
  EXPECT_EQ(batch[0].received_us, 9);
}

TEST(SqliteMedtechQueue, MessagesSurviveReopening) {
  TempDir dir;
  {
    auto q = open_queue(dir);
    q->push({"kept1", "kept2"}, 1);
    q->ack(q->peek(1)[0].seq, {{0, 1, "ingest", "InvalidFormat", "bad", "kept1"}});
    q->close();
  }
  auto q = open_queue(dir);
  EXPECT_EQ(q->size(), 1u);
  EXPECT_EQ(q->peek(10)[0].payload, "kept2");
  EXPECT_EQ(q->dead_letter_count(), 1u);
}

TEST(SqliteMedtechQueue, ClosedQueueRefusesWork) {
  TempDir dir;
  auto q = open_queue(dir);
  q->close();
  EXPECT_THROW(q->push({"x"}, 1), std::runtime_error);
}

TEST(SqliteMedtechQueue, RefusesAnotherKindOfDatabase) {
  TempDir dir;
  {
    SqliteStoreOptions options;
    options.path = dir.file("queue.db");
    open_sqlite_fhir_store(options)->close();
  }
  EXPECT_THROW(open_queue(dir), std::runtime_error);
}

}  // namespace
}  // namespace healthd::storage
