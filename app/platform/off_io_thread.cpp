#include "app/platform/off_io_thread.hpp"

#include <poll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <exception>
#include <mutex>
#include <thread>
#include <vector>

#include "eventstore/cooperative_wait.hpp"

namespace mu::platform {

namespace {

// One thread per core, started at the first use, for the work the fibers hand off: with one
// I/O thread (two cores shared with PostgreSQL) the signatures of token issuance would
// otherwise all run on that one thread, while the other core has time.
class CpuThreads {
 public:
  static CpuThreads& instance() {
    static CpuThreads threads;
    return threads;
  }

  void run(std::function<void()> task) {
    {
      std::lock_guard lock(mutex_);
      tasks_.push_back(std::move(task));
    }
    ready_.notify_one();
  }

  ~CpuThreads() {
    {
      std::lock_guard lock(mutex_);
      stopping_ = true;
    }
    ready_.notify_all();
    for (auto& t : threads_) t.join();
  }

 private:
  CpuThreads() {
    const unsigned n = std::max(1u, std::thread::hardware_concurrency());
    for (unsigned i = 0; i < n; ++i) threads_.emplace_back([this] { work(); });
  }

  void work() {
    for (;;) {
      std::function<void()> task;
      {
        std::unique_lock lock(mutex_);
        ready_.wait(lock, [this] { return stopping_ || !tasks_.empty(); });
        if (tasks_.empty()) return;
        task = std::move(tasks_.front());
        tasks_.pop_front();
      }
      task();  // never throws: run_off_io_thread's wrapper catches
    }
  }

  std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<std::function<void()>> tasks_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace

void run_off_io_thread(const std::function<void()>& work) {
  if (!eventstore::waits_cooperatively()) return work();
  const int done = ::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  if (done < 0) return work();  // out of descriptors: better on this thread than failed
  std::exception_ptr error;
  CpuThreads::instance().run([&work, &error, done] {
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
  // The eventfd is written last by the task, so once it is readable nothing of this frame is
  // used any more.
  pollfd ready{done, POLLIN, 0};
  while (::poll(&ready, 1, -1) < 0 && errno == EINTR) {
  }
  // Reading what the task wrote is also what tells ThreadSanitizer that the task's writes
  // (the result, the exception) happened before what follows.
  std::uint64_t count = 0;
  while (::read(done, &count, sizeof count) < 0 && errno == EINTR) {
  }
  ::close(done);
  if (error) std::rethrow_exception(error);
}

}  // namespace mu::platform
