#include "eventstore/notifications.hpp"

#include <chrono>
#include <utility>
#include <vector>

namespace mu::eventstore {
namespace {

constexpr long kPollMicros = 100'000;  // how soon a stop request is noticed
constexpr auto kRetryDelay = std::chrono::milliseconds(200);

// Collects payloads; they are handed to the caller after libpqxx returns, because
// libpqxx swallows exceptions thrown by receivers.
class Receiver final : public pqxx::notification_receiver {
 public:
  Receiver(pqxx::connection_base& conn, const std::string& channel,
           std::vector<std::string>& payloads)
      : pqxx::notification_receiver(conn, channel), payloads_(payloads) {}

  void operator()(const std::string& payload, int) override { payloads_.push_back(payload); }

 private:
  std::vector<std::string>& payloads_;
};

}  // namespace

void notify(pqxx::transaction_base& tx, const std::string& channel, const std::string& payload) {
  tx.exec_params("SELECT pg_notify($1, $2)", channel, payload);
}

NotificationListener::NotificationListener(
    std::string database_url, std::string channel,
    std::function<void(const std::string& payload)> on_notification, std::function<void()> on_gap)
    : database_url_(std::move(database_url)),
      channel_(std::move(channel)),
      on_notification_(std::move(on_notification)),
      on_gap_(std::move(on_gap)),
      thread_([this] { run(); }) {
  std::unique_lock lock(mutex_);
  wake_.wait(lock, [this] { return started_; });
}

NotificationListener::~NotificationListener() {
  {
    std::lock_guard lock(mutex_);
    stop_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

void NotificationListener::run() {
  // Set once a gap was reported; the reconnect that ends it is reported as a gap too.
  bool gap_open = false;
  while (!stop_requested()) {
    try {
      pqxx::connection conn(database_url_);
      listen_until_stopped(conn, gap_open);
    } catch (const std::exception&) {
      // Lost, or could not connect: whatever the cause, the remedy is a new connection.
    }
    connected_ = false;
    if (stop_requested()) break;
    if (!gap_open) {
      report_gap();
      gap_open = true;
    }
    first_attempt_done();
    wait_before_retry();
  }
  first_attempt_done();  // a listener destroyed at once must not leave its constructor waiting
}

void NotificationListener::listen_until_stopped(pqxx::connection& conn, bool& gap_open) {
  conn.set_variable("application_name", conn.quote(std::string(kListenerApplicationName)));
  std::vector<std::string> payloads;
  Receiver receiver(conn, channel_, payloads);
  {
    // libpqxx swallows a connection lost during the receiver's LISTEN: make sure it holds.
    pqxx::nontransaction tx(conn);
    const auto listening =
        tx.exec_params1("SELECT $1 = ANY (ARRAY(SELECT pg_listening_channels()))", channel_);
    if (!listening[0].as<bool>()) throw pqxx::broken_connection("LISTEN is not in place");
  }
  // libpqxx reconnects a broken connection by itself on the next call: a new backend
  // means notifications may have been missed, so it counts as a loss.
  const int backend = conn.backendpid();
  connected_ = true;
  if (gap_open) {
    report_gap();
    gap_open = false;
  }
  first_attempt_done();

  while (!stop_requested()) {
    if (!conn.is_open() || conn.backendpid() != backend) {
      throw pqxx::broken_connection("notification connection lost");
    }
    conn.await_notification(0, kPollMicros);
    for (const auto& payload : payloads) {
      try {
        on_notification_(payload);
      } catch (...) {
        report_gap();  // a notification left unhandled: as if it was missed
      }
    }
    payloads.clear();
  }
}

void NotificationListener::report_gap() noexcept {
  try {
    on_gap_();
  } catch (...) {
    // Documented: on_gap should not throw; nothing better to do here.
  }
}

void NotificationListener::first_attempt_done() {
  {
    std::lock_guard lock(mutex_);
    if (started_) return;
    started_ = true;
  }
  wake_.notify_all();
}

bool NotificationListener::stop_requested() {
  std::lock_guard lock(mutex_);
  return stop_;
}

void NotificationListener::wait_before_retry() {
  std::unique_lock lock(mutex_);
  wake_.wait_for(lock, kRetryDelay, [this] { return stop_; });
}

}  // namespace mu::eventstore
