// Database sessions as fibers on the I/O threads: the calls' database work runs on the
// thread that read the request, with no hand-off to a worker thread and back. Each
// session is a fiber (its own stack) owning one DbSession; when libpq waits for its socket,
// the fiber is suspended and the thread goes back to the I/O context, which resumes the
// fiber once the socket is ready (eventstore/cooperative_wait.hpp). So a call waiting for
// PostgreSQL holds neither a thread nor the calls behind it, and as many calls wait for
// PostgreSQL at once as there are sessions: their commits can share a WAL flush.
//
// The fibers are spread over shards, one strand each: a shard's fibers take turns, the
// shards run side by side on the I/O threads. Jobs wait in a bounded queue per shard; a
// job no shard can take is refused at once (the caller answers 429 / RESOURCE_EXHAUSTED).
#pragma once

#include <atomic>
#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "app/platform/db_jobs.hpp"

namespace boost::asio {
class io_context;
}

namespace mu::platform {

class FiberPool final : public DbJobs {
 public:
  // `sessions` fibers (one connection each) over `shards` strands of `io`; `read_url` as for
  // DbSession. Nothing runs until `io` does.
  FiberPool(boost::asio::io_context& io, std::string database_url, int sessions, int shards,
            std::size_t queue_capacity, std::string read_url = "");
  ~FiberPool() override;
  FiberPool(const FiberPool&) = delete;
  FiberPool& operator=(const FiberPool&) = delete;

  bool try_submit(Job job) override;
  std::size_t busy() const override { return busy_; }
  std::size_t queued() override;
  // Lets the queued jobs run, then ends the fibers (closing their connections). Runs `io`
  // on the calling thread while that is needed, so it may be called after the I/O threads
  // have returned.
  void stop() override;

  struct Shard;
  struct Fiber;

 private:
  boost::asio::io_context& io_;
  std::vector<std::unique_ptr<Shard>> shards_;
  std::atomic<std::size_t> busy_{0};
  std::atomic<unsigned> next_{0};
  std::atomic<int> live_{0};
  bool stopped_ = false;
};

}  // namespace mu::platform
