// Database work off the I/O threads: a fixed set of worker threads, each owning
// one DbSession (connection + prepared statements), taking jobs from a bounded
// queue. A full queue refuses new jobs at once, so that overload is answered
// quickly instead of piling up. The service runs FiberPool instead unless told
// --db-executor workers; this one needs no I/O context (the CLI's tests use it).
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "app/platform/db_jobs.hpp"
#include "app/platform/db_session.hpp"

namespace mu::platform {

class WorkerPool final : public DbJobs {
 public:
  // `read_url`: each worker's sessions may read from that standby (DbSession::reader).
  WorkerPool(std::string database_url, int threads, std::size_t queue_capacity,
             std::string read_url = "");
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  bool try_submit(Job job) override;
  std::size_t busy() const override { return busy_; }
  std::size_t queued() override;
  // Runs what is queued, then joins the threads.
  void stop() override;

 private:
  void work();

  std::string url_;
  std::string read_url_;
  std::size_t capacity_;
  std::mutex mutex_;
  std::condition_variable ready_;
  std::deque<Job> queue_;
  bool stopping_ = false;
  std::atomic<std::size_t> busy_{0};
  std::vector<std::thread> threads_;
};

}  // namespace mu::platform
