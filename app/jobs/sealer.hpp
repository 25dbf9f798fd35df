// The background sealer: every interval, seals the events since the last seal
// and appends the seal to the seal log. Each instance runs one; a round is led by the
// instance that takes the sealing lock (eventstore::seal_now), the others skip it, so
// there is one sealer per database at a time and another takes over when one dies.
#pragma once

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>

namespace mu::jobs {

class Sealer {
 public:
  // `private_pem`: the seal key's text; `seal_log`: empty for none.
  Sealer(std::string database_url, std::string private_pem, std::string seal_log,
         std::chrono::milliseconds interval);
  ~Sealer();  // stops after the round in progress
  Sealer(const Sealer&) = delete;
  Sealer& operator=(const Sealer&) = delete;

 private:
  void run();

  std::string url_;
  std::string key_;
  std::string log_;
  std::chrono::milliseconds interval_;
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace mu::jobs
