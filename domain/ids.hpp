// Ids: decimal strings of 64-bit, time-ordered numbers, unique across processes.
// Layout (like ZITADEL's sonyflake): 39 bits of 10 ms ticks since 2014-09-01,
// 8 bits of sequence within a tick, 16 bits of node id. Each process gets a node
// id that no other live process has (the service takes it from a PostgreSQL
// sequence at start-up), so ids never collide across processes.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <mutex>
#include <string>

namespace mu::domain {

class IdGenerator {
 public:
  using Clock = std::function<std::chrono::system_clock::time_point()>;

  explicit IdGenerator(std::uint16_t node_id, Clock clock = std::chrono::system_clock::now);

  std::uint64_t next_number();  // thread-safe, strictly increasing
  std::string next() { return std::to_string(next_number()); }

  std::uint16_t node_id() const { return node_id_; }

 private:
  std::uint16_t node_id_;
  Clock clock_;
  std::mutex mutex_;
  std::uint64_t last_tick_ = 0;
  std::uint32_t sequence_ = 0;
};

}  // namespace mu::domain
