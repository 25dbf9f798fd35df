// LISTEN/NOTIFY for cache invalidation: committed notifications arrive, rolled-back ones
// never do, and a lost connection is reported as a gap, then listening resumes.
#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <pqxx/pqxx>

#include "eventstore/notifications.hpp"
#include "tests/support/test_database.hpp"

using namespace mu;
using eventstore::NotificationListener;
using namespace std::chrono_literals;

namespace {

constexpr const char* kChannel = "mu_cache";

// What the listener's callbacks saw; they run on the listener's thread.
class Inbox {
 public:
  void on_notification(const std::string& payload) {
    {
      std::lock_guard lock(mutex_);
      payloads_.push_back(payload);
    }
    changed_.notify_all();
  }

  void on_gap() {
    {
      std::lock_guard lock(mutex_);
      ++gaps_;
    }
    changed_.notify_all();
  }

  // Waits until `payload` arrived; false after the timeout.
  bool wait_for_payload(const std::string& payload, std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, timeout, [&] {
      return std::find(payloads_.begin(), payloads_.end(), payload) != payloads_.end();
    });
  }

  bool wait_for_gaps(int gaps, std::chrono::milliseconds timeout) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, timeout, [&] { return gaps_ >= gaps; });
  }

  std::vector<std::string> payloads() {
    std::lock_guard lock(mutex_);
    return payloads_;
  }

  int gaps() {
    std::lock_guard lock(mutex_);
    return gaps_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<std::string> payloads_;
  int gaps_ = 0;
};

std::unique_ptr<NotificationListener> listen(const std::string& url, Inbox& inbox) {
  return std::make_unique<NotificationListener>(
      url, kChannel, [&inbox](const std::string& p) { inbox.on_notification(p); },
      [&inbox] { inbox.on_gap(); });
}

void notify_committed(pqxx::connection& conn, const std::string& payload) {
  pqxx::work tx(conn);
  eventstore::notify(tx, kChannel, payload);
  tx.commit();
}

// The backend pid of the listener's connection to the database, 0 when there is none.
int listener_pid(pqxx::connection& conn, const std::string& database) {
  pqxx::nontransaction tx(conn);
  const auto rows = tx.exec_params(
      "SELECT pid FROM pg_stat_activity WHERE application_name = $1 AND datname = $2",
      std::string(eventstore::kListenerApplicationName), database);
  return rows.size() == 1 ? rows[0][0].as<int>() : 0;
}

}  // namespace

TEST_CASE("a NOTIFY committed on another connection reaches the listener within a second",
          "[notifications]") {
  testing::TestDatabase db;
  Inbox inbox;
  auto listener = listen(db.url(), inbox);
  CHECK(listener->connected());
  CHECK(inbox.gaps() == 0);

  pqxx::connection writer(db.url());
  const auto sent = std::chrono::steady_clock::now();
  notify_committed(writer, "user:42");
  REQUIRE(inbox.wait_for_payload("user:42", 2000ms));
  const auto latency = std::chrono::steady_clock::now() - sent;
  INFO("latency " << std::chrono::duration_cast<std::chrono::milliseconds>(latency).count()
                  << " ms");
  CHECK(latency < 1s);

  // Other channels are not delivered.
  {
    pqxx::work tx(writer);
    eventstore::notify(tx, "other_channel", "nope");
    tx.commit();
  }
  notify_committed(writer, "user:43");
  REQUIRE(inbox.wait_for_payload("user:43", 2000ms));
  CHECK(inbox.payloads() == std::vector<std::string>{"user:42", "user:43"});

  // The destructor stops the thread promptly.
  const auto stopping = std::chrono::steady_clock::now();
  listener.reset();
  CHECK(std::chrono::steady_clock::now() - stopping < 500ms);
  CHECK(inbox.gaps() == 0);
}

TEST_CASE("a NOTIFY in a rolled-back transaction never arrives", "[notifications]") {
  testing::TestDatabase db;
  Inbox inbox;
  auto listener = listen(db.url(), inbox);
  pqxx::connection writer(db.url());
  {
    pqxx::work tx(writer);
    eventstore::notify(tx, kChannel, "rolled back");
    tx.abort();
  }
  // Notifications from one session arrive in commit order: once the later one is in,
  // the rolled-back one would have been too.
  notify_committed(writer, "committed");
  REQUIRE(inbox.wait_for_payload("committed", 2000ms));
  CHECK(inbox.payloads() == std::vector<std::string>{"committed"});
}

TEST_CASE("a killed listener connection is reported as a gap and listening resumes",
          "[notifications]") {
  testing::TestDatabase db;
  Inbox inbox;
  auto listener = listen(db.url(), inbox);
  pqxx::connection admin(db.url());
  const int pid = listener_pid(admin, db.name());
  REQUIRE(pid != 0);

  {
    pqxx::nontransaction tx(admin);
    REQUIRE(tx.exec_params1("SELECT pg_terminate_backend($1)", pid)[0].as<bool>());
  }
  // One gap when the connection is lost, one more once it listens again.
  REQUIRE(inbox.wait_for_gaps(2, 3000ms));
  CHECK(listener->connected());
  const int new_pid = listener_pid(admin, db.name());
  CHECK(new_pid != 0);
  CHECK(new_pid != pid);

  notify_committed(admin, "after reconnect");
  REQUIRE(inbox.wait_for_payload("after reconnect", 2000ms));
  CHECK(inbox.gaps() == 2);
}

TEST_CASE("a listener that cannot connect reports a gap, retries, and reports one more on success",
          "[notifications]") {
  testing::TestDatabase db;
  // A database that does not exist yet: connecting fails until it is created.
  const std::string later = db.name() + "_later";
  std::string url = db.url();
  url.replace(url.find(db.name()), db.name().size(), later);
  pqxx::connection admin(db.url());
  const auto drop_later = [&] {
    pqxx::nontransaction tx(admin);
    tx.exec("DROP DATABASE IF EXISTS " + tx.quote_name(later) + " WITH (FORCE)");
  };

  Inbox inbox;
  auto listener = listen(url, inbox);
  CHECK(inbox.gaps() == 1);  // before the constructor returned
  CHECK_FALSE(listener->connected());

  {
    pqxx::nontransaction tx(admin);
    tx.exec("CREATE DATABASE " + tx.quote_name(later) + " TEMPLATE template0");
  }
  try {
    REQUIRE(inbox.wait_for_gaps(2, 3000ms));
    CHECK(listener->connected());
    pqxx::connection writer(url);
    notify_committed(writer, "hello");
    REQUIRE(inbox.wait_for_payload("hello", 2000ms));
  } catch (...) {
    listener.reset();
    drop_later();
    throw;
  }
  listener.reset();
  drop_later();
}
