#include "domain/ids.hpp"

namespace mu::domain {

namespace {
// 2014-09-01T00:00:00Z, sonyflake's epoch, so our ids look like ZITADEL's.
constexpr std::chrono::seconds kEpoch{1409529600};
constexpr int kSequenceBits = 8;
constexpr int kNodeBits = 16;
constexpr std::uint32_t kMaxSequence = (1u << kSequenceBits) - 1;
}  // namespace

IdGenerator::IdGenerator(std::uint16_t node_id, Clock clock)
    : node_id_(node_id), clock_(std::move(clock)) {}

std::uint64_t IdGenerator::next_number() {
  using namespace std::chrono;
  const auto since_epoch = clock_().time_since_epoch() - kEpoch;
  const auto now_tick =
      static_cast<std::uint64_t>(duration_cast<milliseconds>(since_epoch).count() / 10);

  std::lock_guard lock(mutex_);
  // The clock may step back (NTP) and a tick holds only 256 ids: rather than
  // wait, we run ahead of the clock on the last tick, which keeps ids unique and
  // increasing; the clock catches up within milliseconds.
  if (now_tick > last_tick_) {
    last_tick_ = now_tick;
    sequence_ = 0;
  } else if (sequence_ < kMaxSequence) {
    ++sequence_;
  } else {
    ++last_tick_;
    sequence_ = 0;
  }
  return (last_tick_ << (kSequenceBits + kNodeBits)) |
         (static_cast<std::uint64_t>(sequence_) << kNodeBits) | node_id_;
}

}  // namespace mu::domain
