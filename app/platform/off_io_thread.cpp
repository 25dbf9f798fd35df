#include "app/platform/off_io_thread.hpp"

#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <exception>
#include <thread>

#include "eventstore/cooperative_wait.hpp"

namespace mu::platform {

void run_off_io_thread(const std::function<void()>& work) {
  if (!eventstore::waits_cooperatively()) return work();
  const int done = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (done < 0) return work();  // out of descriptors: better late than failed
  std::exception_ptr error;
  std::thread helper([&] {
    try {
      work();
    } catch (...) {
      error = std::current_exception();
    }
    const std::uint64_t one = 1;
    while (::write(done, &one, sizeof one) < 0 && errno == EINTR) {
    }
  });
  // The fiber's wait (eventstore/cooperative_wait.hpp): the thread serves others meanwhile.
  pollfd ready{done, POLLIN, 0};
  while (::poll(&ready, 1, -1) < 0 && errno == EINTR) {
  }
  helper.join();
  ::close(done);
  if (error) std::rethrow_exception(error);
}

}  // namespace mu::platform
