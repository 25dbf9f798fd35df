#include "app/jobs/checkpoint_keeper.hpp"

#include "app/platform/db_session.hpp"

namespace mu::jobs {

using platform::DbSession;

CheckpointKeeper::CheckpointKeeper(std::string database_url, std::chrono::milliseconds interval)
    : url_(std::move(database_url)), interval_(interval), thread_([this] { run(); }) {}

CheckpointKeeper::~CheckpointKeeper() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

void CheckpointKeeper::run() {
  DbSession db(url_);
  bool stopping = false;
  // Expired idempotency keys are purged here too, now and then: a house-keeping
  // chore of the same kind (one small statement in the background).
  auto next_purge = std::chrono::steady_clock::now();
  while (!stopping) {
    {
      std::unique_lock lock(mutex_);
      wake_.wait_for(lock, interval_, [this] { return stopping_; });
      stopping = stopping_;
    }
    try {
      pqxx::nontransaction tx(db.connection());
      projections::record_inline_checkpoints(tx);
      if (std::chrono::steady_clock::now() >= next_purge) {
        next_purge = std::chrono::steady_clock::now() + std::chrono::minutes(10);
        db.idempotency().purge_expired(tx);
      }
    } catch (const std::exception& e) {
      // Not fatal: the next round catches up. A lost connection is reopened.
      db.failure(e);
    }
  }
}

}  // namespace mu::jobs
