// Where a call's database work runs: a job gets a DbSession of its own for as long as it
// runs. Two kinds: FiberPool (the service's: sessions as fibers on the I/O threads, no
// hand-off between threads) and WorkerPool (a thread per session; the CLI's tests and
// --db-executor workers). Both refuse a job at once when their queue is full, so that
// overload is answered quickly (429 / RESOURCE_EXHAUSTED) instead of piling up.
#pragma once

#include <cstddef>
#include <functional>

#include "app/platform/db_session.hpp"

namespace mu::platform {

class DbJobs {
 public:
  using Job = std::function<void(DbSession&)>;

  virtual ~DbJobs() = default;

  // False when the queue is full or the pool is stopping; the job did not run. Thread-safe.
  virtual bool try_submit(Job job) = 0;

  // Jobs running now, and jobs waiting for a session.
  virtual std::size_t busy() const = 0;
  virtual std::size_t queued() = 0;

  // Runs what is queued, then ends the sessions. Idempotent.
  virtual void stop() = 0;
};

}  // namespace mu::platform
