// Cross-instance cache invalidation over PostgreSQL's LISTEN/NOTIFY: a writer notifies
// in the transaction that changes what others cache; every instance listens and drops
// what the payload names. Notifications are lost while a listener is disconnected, so
// a listener reports such gaps and callers then drop everything.
#pragma once

#include <atomic>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include <pqxx/pqxx>

namespace mu::eventstore {

// Queues a notification (SELECT pg_notify, one round trip). PostgreSQL delivers it when
// tx commits, and never if tx rolls back. Payloads are limited to 8000 bytes.
void notify(pqxx::transaction_base& tx, const std::string& channel, const std::string& payload);

// The application_name of a listener's connection (to find it in pg_stat_activity).
inline constexpr const char* kListenerApplicationName = "mu-notification-listener";

// Listens on one channel on a thread of its own with a connection of its own.
//
// Both callbacks run on the listener thread (synchronise what they touch), one at a time,
// and should not throw: a throwing on_notification is reported as a gap, a throwing
// on_gap is ignored.
//
// on_gap means "notifications may have been missed": it is called when the connection is
// lost or cannot be opened, and once more after the listener is listening again (what
// was cached while disconnected may be stale too). Between the two, connected() is false
// and callers should not trust their caches. It retries every 200 ms.
//
// A URL whose host may hang rather than refuse should carry connect_timeout, or a
// reconnect attempt (and so the destructor) may wait for the operating system's timeout.
class NotificationListener {
 public:
  // Returns once the first LISTEN is in place, or after the first attempt failed (and
  // on_gap was called), so that nothing notified after it returns is missed unreported.
  NotificationListener(std::string database_url, std::string channel,
                       std::function<void(const std::string& payload)> on_notification,
                       std::function<void()> on_gap);
  ~NotificationListener();  // stops and joins within about 100 ms
  NotificationListener(const NotificationListener&) = delete;
  NotificationListener& operator=(const NotificationListener&) = delete;

  // Whether LISTEN is in place now.
  bool connected() const { return connected_.load(); }

 private:
  void run();
  void listen_until_stopped(pqxx::connection& conn, bool& gap_open);
  void report_gap() noexcept;
  void first_attempt_done();
  bool stop_requested();
  void wait_before_retry();

  const std::string database_url_;
  const std::string channel_;
  const std::function<void(const std::string&)> on_notification_;
  const std::function<void()> on_gap_;

  std::atomic<bool> connected_{false};
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stop_ = false;
  bool started_ = false;
  std::thread thread_;  // last: started once everything above is initialised
};

}  // namespace mu::eventstore
