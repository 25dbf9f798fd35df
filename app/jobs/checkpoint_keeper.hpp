// Advances the inline projections' checkpoints (current_states) in the
// background, so that no command has to write that one hot row: a row updated
// in every command's transaction stays locked until COMMIT and turns
// PostgreSQL's group commit into one commit after another (measured: ~3x fewer
// commits per second with 16 writers).
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

namespace mu::jobs {

class CheckpointKeeper {
 public:
  CheckpointKeeper(std::string database_url, std::chrono::milliseconds interval);
  ~CheckpointKeeper();  // records once more, then stops
  CheckpointKeeper(const CheckpointKeeper&) = delete;
  CheckpointKeeper& operator=(const CheckpointKeeper&) = delete;

 private:
  void run();

  std::string url_;
  std::chrono::milliseconds interval_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace mu::jobs
