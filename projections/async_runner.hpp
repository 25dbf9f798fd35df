// Runs the async projections of this process: for each, a thread with its own
// connection that reduces committed events in batches (catch_up_step), polling
// for new ones. Several processes may run it on one database: an advisory lock
// held by the runner's connection makes exactly one of them reduce each
// projection, and when that process dies its session (and lock) goes with it, so
// another takes over on its next poll. A caught-up runner waits for a NOTIFY on
// kEventsChannel, or polls.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace mu::projections {

// Commands NOTIFY this channel when this process runs projections asynchronously,
// so that a caught-up runner wakes at once instead of at its next poll.
inline constexpr const char* kEventsChannel = "mu_events";

struct AsyncRunnerOptions {
  std::chrono::milliseconds poll{100};  // how often a caught-up runner looks again
  std::size_t batch = 1000;             // events per transaction
  int max_attempts = 5;                 // a failing event is skipped after these
};

class AsyncRunner {
 public:
  AsyncRunner(std::string database_url, std::vector<std::string> projections,
              AsyncRunnerOptions options = {});
  ~AsyncRunner();  // stops the threads (their locks go with their connections)
  AsyncRunner(const AsyncRunner&) = delete;
  AsyncRunner& operator=(const AsyncRunner&) = delete;

  // Events reduced by this process so far (all projections).
  std::uint64_t reduced() const { return reduced_; }

 private:
  void run(const std::string& name);
  bool sleep_for(std::chrono::milliseconds d);  // false when stopping

  std::string url_;
  AsyncRunnerOptions options_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::atomic<std::uint64_t> reduced_{0};
  std::vector<std::thread> threads_;
};

}  // namespace mu::projections
