#include "app/jobs/sealer.hpp"

#include <optional>

#include <pqxx/pqxx>

#include "app/platform/log.hpp"
#include "app/platform/seal_files.hpp"
#include "eventstore/audit_integrity.hpp"

namespace mu::jobs {

using platform::log_error;
using platform::log_info;
using platform::sync_seal_log;

Sealer::Sealer(std::string database_url, std::string private_pem, std::string seal_log,
               std::chrono::milliseconds interval)
    : url_(std::move(database_url)),
      key_(std::move(private_pem)),
      log_(std::move(seal_log)),
      interval_(interval),
      thread_([this] { run(); }) {}

Sealer::~Sealer() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

void Sealer::run() {
  std::optional<pqxx::connection> conn;
  for (;;) {
    {
      std::unique_lock lock(mutex_);
      if (wake_.wait_for(lock, interval_, [this] { return stopping_; })) return;
    }
    try {
      if (!conn || !conn->is_open()) conn.emplace(url_);
      if (auto seal = eventstore::seal_now(*conn, key_, false)) {
        log_info("sealed events", {{"seal", static_cast<long long>(seal->id)},
                                   {"events", static_cast<long long>(seal->events)},
                                   {"upto_position", static_cast<long long>(seal->upto_position)}});
      }
      // Also after a round another instance led, or one cut short by a crash.
      if (!log_.empty()) sync_seal_log(*conn, log_);
    } catch (const std::exception& e) {
      conn.reset();  // a broken connection is made anew next round
      log_error("sealing failed", e.what());
    }
  }
}

}  // namespace mu::jobs
