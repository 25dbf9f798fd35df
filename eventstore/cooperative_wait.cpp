#include "eventstore/cooperative_wait.hpp"

#include <poll.h>
#include <signal.h>
#include <time.h>

#include <thread>

namespace mu::eventstore {

namespace {
thread_local Waiter* current_waiter = nullptr;
}  // namespace

Waiter* exchange_waiter(Waiter* waiter) {
  Waiter* before = current_waiter;
  current_waiter = waiter;
  return before;
}

bool waits_cooperatively() {
  return current_waiter != nullptr;
}

void pause_for(std::chrono::microseconds duration) {
  if (current_waiter) return current_waiter->sleep(duration);
  std::this_thread::sleep_for(duration);
}

}  // namespace mu::eventstore

// The process's poll(): see the header. ppoll is the system call underneath, so the
// pass-through changes nothing for other callers. glibc declares poll's array write-only
// (attribute access), which it is not: poll reads each entry's fd and events.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
extern "C" [[gnu::noinline]] int poll(struct pollfd* fds, nfds_t count, int timeout_ms) {
  using mu::eventstore::current_waiter;
  // A zero timeout only asks whether the descriptor is ready now: the system answers that.
  if (current_waiter && count == 1 && timeout_ms != 0) {
    fds[0].revents = 0;
    const int got = current_waiter->wait_fd(fds[0].fd, fds[0].events, timeout_ms);
    if (got > 0) {
      fds[0].revents = static_cast<short>(got);
      return 1;
    }
    return got;
  }
  if (timeout_ms < 0) return ppoll(fds, count, nullptr, nullptr);
  const timespec limit{timeout_ms / 1000, static_cast<long>(timeout_ms % 1000) * 1000000L};
  return ppoll(fds, count, &limit, nullptr);
}
#pragma GCC diagnostic pop
