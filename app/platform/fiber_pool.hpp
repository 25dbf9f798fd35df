// Database sessions as fibers on the I/O threads: the calls' database work runs on the
// thread that read the request, with no hand-off to a worker thread and back. Each
// session is a fiber (its own stack) owning one DbSession; when libpq waits for its socket,
// the fiber is suspended and the thread goes back to the I/O context, which resumes the
// fiber once the socket is ready (eventstore/cooperative_wait.hpp). So a call waiting for
// PostgreSQL holds neither a thread nor the calls behind it, and as many calls wait for
// PostgreSQL at once as there are sessions: their commits can share a WAL flush.
//
// The fibers are spread over shards, one per I/O thread's context (and one strand each): a
// shard's fibers take turns, the shards run side by side. A job goes to the shard of the
// thread that submits it, so a call stays on the thread that read it; when that shard's
// bounded queue is full the others are tried, and a job no shard can take is refused at once
// (the caller answers 429 / RESOURCE_EXHAUSTED).
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
  // `sessions` fibers (one connection each) spread over one shard per context; `read_url` as
  // for DbSession. Nothing runs until the contexts do.
  FiberPool(std::vector<boost::asio::io_context*> contexts, std::string database_url, int sessions,
            std::size_t queue_capacity, std::string read_url = "");
  // `shards` shards on the one context `io` (tests).
  FiberPool(boost::asio::io_context& io, std::string database_url, int sessions, int shards,
            std::size_t queue_capacity, std::string read_url = "")
      : FiberPool(std::vector<boost::asio::io_context*>(static_cast<std::size_t>(shards), &io),
                  std::move(database_url), sessions, queue_capacity, std::move(read_url)) {}
  ~FiberPool() override;
  FiberPool(const FiberPool&) = delete;
  FiberPool& operator=(const FiberPool&) = delete;

  bool try_submit(Job job) override;
  std::size_t busy() const override { return busy_; }
  std::size_t queued() override;
  // Lets the queued jobs run, then ends the fibers (closing their connections). Runs the
  // contexts on the calling thread while that is needed, so it may be called after the I/O
  // threads have returned.
  void stop() override;

  struct Shard;
  struct Fiber;

 private:
  std::vector<std::unique_ptr<Shard>> shards_;
  std::atomic<std::size_t> busy_{0};
  std::atomic<unsigned> next_{0};
  std::atomic<int> live_{0};
  bool stopped_ = false;
};

}  // namespace mu::platform
