// The durable queue of one MedTech service: accepted device messages wait here until the worker
// has taken them through the pipeline, and messages that failed are kept as dead letters.
// Implemented in storage/ (SQLite); this interface keeps the pipeline free of storage code.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace healthd::medtech {

struct QueuedMessage {
  int64_t seq = 0;          // increasing in acceptance order
  int64_t received_us = 0;  // when it was accepted
  std::string payload;      // one device message, JSON text (envelope included when it came in one)
};

struct DeadLetter {
  int64_t id = 0;  // assigned by the queue
  int64_t at_us = 0;
  std::string stage;    // "ingest", "normalize", "group", "transform", "persist"
  std::string kind;     // e.g. NoTemplateMatched, DeviceNotFound
  std::string reason;   // human-readable
  std::string payload;  // the original message
};

class MessageQueue {
 public:
  virtual ~MessageQueue() = default;
  // Appends the messages in one transaction; returns once they are durable.
  virtual void push(const std::vector<std::string>& payloads, int64_t received_us) = 0;
  // The oldest messages, at most `max`, without removing them.
  virtual std::vector<QueuedMessage> peek(size_t max) = 0;
  // In one transaction: removes every message with seq <= up_to_seq and stores the dead letters.
  virtual void ack(int64_t up_to_seq, const std::vector<DeadLetter>& dead) = 0;
  // Messages waiting.
  virtual size_t size() = 0;
  // The oldest dead letters, at most `max`, and how many there are in all.
  virtual std::vector<DeadLetter> dead_letters(size_t max) = 0;
  virtual size_t dead_letter_count() = 0;
  // Moves the dead letters back into the queue (one message per distinct payload) in one
  // transaction; returns the number of messages queued again.
  virtual size_t replay_dead_letters(int64_t now_us) = 0;
  virtual void close() = 0;
};

}  // namespace healthd::medtech
