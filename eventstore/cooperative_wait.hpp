// How a thread waits for the database. libpq waits for its socket in poll(); on a thread
// that runs database sessions as fibers (app/platform/fiber_pool.hpp), such a wait must
// suspend the fiber, not the thread, so that the thread's other sessions and its HTTP
// connections go on meanwhile. This file replaces poll() for the whole process (libpq and
// libpqxx call it through the dynamic linker, which finds the executable's definition
// first): a thread with a Waiter installed has its one-descriptor waits handed to it; every
// other call is the system's poll, unchanged.
#pragma once

#include <chrono>

namespace mu::eventstore {

class Waiter {
 public:
  virtual ~Waiter() = default;
  // poll() for one descriptor: the events that came (POLLIN, POLLOUT, POLLERR), 0 on
  // timeout (timeout_ms < 0: none), -1 with errno set on error.
  virtual int wait_fd(int fd, short events, int timeout_ms) = 0;
  virtual void sleep(std::chrono::microseconds duration) = 0;
};

// The thread's waiter now (nullptr: the thread itself waits); returns the one before.
Waiter* exchange_waiter(Waiter* waiter);

// Whether this thread's waits are a fiber's (a waiter is installed).
bool waits_cooperatively();

// Sleeps the current fiber when a waiter is installed, else the thread.
void pause_for(std::chrono::microseconds duration);

}  // namespace mu::eventstore
