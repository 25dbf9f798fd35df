#include "projections/async_runner.hpp"

#include <pqxx/pqxx>

#include "projections/catch_up.hpp"
#include "projections/registry.hpp"

namespace mu::projections {

namespace {

// The advisory lock key of a projection's runner (one per database).
std::string lock_sql(const char* function) {
  return std::string("SELECT ") + function + "(hashtext('mu_projection:' || $1))";
}

// Records a failed attempt on the event a step stopped at and, at the last attempt,
// moves the checkpoint past it, marked skipped: one transaction. Returns its attempts.
int record_failure(pqxx::connection& conn, const std::string& projection,
                   const std::string& checkpoint, const std::string& error, int max_attempts) {
  pqxx::work tx(conn);
  const auto e = next_event(tx, checkpoint);
  if (!e) return 0;
  const int attempts =
      tx.exec_params1(
            "INSERT INTO projection_failures AS f (projection, position, aggregate_type, "
            "aggregate_id, sequence, error, attempts, skipped) VALUES ($1, $2, $3, $4, $5, $6, 1, "
            "1 "
            ">= $7) ON "
            "CONFLICT (projection, position) DO UPDATE SET attempts = f.attempts + 1, error = "
            "excluded.error, skipped = f.attempts + 1 >= $7, last_attempt = now() RETURNING "
            "attempts",
            projection, e->position, e->aggregate_type, e->aggregate_id,
            static_cast<std::int64_t>(e->sequence), error.substr(0, 1000), max_attempts)[0]
          .as<int>();
  if (attempts >= max_attempts) skip_next_event(tx, checkpoint);
  tx.commit();
  return attempts;
}

// Counts wake-ups on the events channel; the count itself is not needed, only
// that await_notification returns early.
struct EventsReceiver : pqxx::notification_receiver {
  using pqxx::notification_receiver::notification_receiver;
  void operator()(const std::string&, int) override {}
};

}  // namespace

AsyncRunner::AsyncRunner(std::string database_url, std::vector<std::string> projections,
                         AsyncRunnerOptions options)
    : url_(std::move(database_url)), options_(options) {
  for (auto& name : projections) {
    threads_.emplace_back([this, name] { run(name); });
  }
}

AsyncRunner::~AsyncRunner() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  for (auto& t : threads_) t.join();
}

bool AsyncRunner::sleep_for(std::chrono::milliseconds d) {
  std::unique_lock lock(mutex_);
  return !wake_.wait_for(lock, d, [this] { return stopping_; });
}

void AsyncRunner::run(const std::string& name) {
  const ProjectionInfo* info = find_projection(name);
  if (!info) return;
  std::unique_ptr<pqxx::connection> conn;
  std::unique_ptr<EventsReceiver> receiver;
  ReduceBatch reduce;
  std::size_t batch = options_.batch;
  while (sleep_for(std::chrono::milliseconds(0))) {
    try {
      if (!conn || !conn->is_open()) {
        receiver.reset();
        conn = std::make_unique<pqxx::connection>(url_);
        reduce = make_reducer(*conn, *info, "", Batching::InMemory);
        receiver = std::make_unique<EventsReceiver>(*conn, kEventsChannel);
      }
      // Leader or not: the lock is the session's, so a process that dies frees it.
      {
        pqxx::nontransaction tx(*conn);
        if (!tx.exec_params1(lock_sql("pg_try_advisory_lock"), name)[0].as<bool>()) {
          if (!sleep_for(options_.poll)) return;
          continue;
        }
      }
      // The leader: catch up, then poll.
      while (sleep_for(std::chrono::milliseconds(0))) {
        std::size_t n = 0;
        try {
          pqxx::work tx(*conn);
          n = catch_up_step(tx, async_checkpoint(*info), batch, reduce);
          tx.commit();
          batch = options_.batch;
        } catch (const pqxx::broken_connection&) {
          throw;
        } catch (const std::exception& e) {
          // A reducer failed: find the event one at a time, retry it with back-off,
          // and after the last attempt skip it (recorded in projection_failures).
          if (batch > 1) {
            batch = 1;
            continue;
          }
          const int attempts =
              record_failure(*conn, name, async_checkpoint(*info), e.what(), options_.max_attempts);
          if (attempts >= options_.max_attempts) continue;  // skipped: go on
          if (!sleep_for(std::chrono::milliseconds(100 << attempts))) return;
          continue;
        }
        reduced_ += n;
        if (n == 0) {
          // Caught up: wait for news of a commit (NOTIFY), or poll when none comes.
          const auto us = std::chrono::duration_cast<std::chrono::microseconds>(options_.poll);
          conn->await_notification(0, static_cast<long>(us.count()));
          if (!sleep_for(std::chrono::milliseconds(0))) return;
        }
      }
      return;
    } catch (const std::exception&) {
      // Connection lost (the lock with it): reconnect and compete again.
      receiver.reset();
      conn.reset();
      if (!sleep_for(std::chrono::milliseconds(500))) return;
    }
  }
}

}  // namespace mu::projections
