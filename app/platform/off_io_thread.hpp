// CPU work too long for an I/O thread: making an RSA key pair (tens to hundreds of
// milliseconds), an RS256 signature (about 250 µs here). On a database fiber it runs on a
// pool of CPU threads (one per core) while the fiber waits, so that the I/O thread goes on
// serving its other connections and the other cores share the work; anywhere else it runs
// here.
#pragma once

#include <functional>
#include <optional>
#include <utility>

namespace mu::platform {

// Runs `work` (off the I/O thread when called on a fiber) and rethrows what it threw.
void run_off_io_thread(const std::function<void()>& work);

template <class F>
auto off_io_thread(F work) -> decltype(work()) {
  std::optional<decltype(work())> out;
  run_off_io_thread([&] { out.emplace(work()); });
  return std::move(*out);
}

}  // namespace mu::platform
