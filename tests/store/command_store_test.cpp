// The command core's store on PostgreSQL (commands::PostgresCommandStore): what the unit
// tests' fake promises, held against the real thing. A head and its snapshot as an append
// left them, a transaction that writes nothing unless committed (nor notifies), a head that
// moved is a conflict and a locked head holds other writers off, the idempotency claim, the
// one-statement append, and the questions that settle a lost write.
#include <memory>
#include <string>
#include <vector>

#include <catch2/catch.hpp>
#include <pqxx/pqxx>

#include "app/commands/postgres_command_store.hpp"
#include "app/platform/db_session.hpp"
#include "projections/registry.hpp"
#include "store_helpers.hpp"
#include "tests/support/test_database.hpp"

using namespace mu;
using commands::PostgresCommandStore;
using nlohmann::json;

namespace {

// A machine user's creation as a command appends it, with the snapshot it would keep.
eventstore::AppendRequest user_added(const std::string& id) {
  auto r = testing::user_append(
      id, 0, {testing::new_event("user.machine.added", {{"userName", id}, {"name", "first"}}, 2)});
  r.snapshot = R"({"sequence":1,"name":"first"})";
  r.snapshot_revision = 7;
  return r;
}

eventstore::AppendRequest user_renamed(const std::string& id, std::uint64_t expected,
                                       const std::string& name) {
  auto r = testing::user_append(id, expected,
                                {testing::new_event("user.machine.changed", {{"name", name}})});
  r.snapshot = nlohmann::json{{"sequence", expected + 1}, {"name", name}}.dump();
  r.snapshot_revision = 7;
  return r;
}

// Appends in a command transaction of its own and commits, reducing into the read models.
eventstore::Appended commit_append(commands::CommandStore& store,
                                   const eventstore::AppendRequest& r) {
  auto tx = store.begin();
  auto appended = tx->append(r);
  tx->reduce_inline(appended.events);
  tx->commit();
  return appended;
}

// Collects the payloads of one channel's notifications on its own connection.
class ChannelPayloads : public pqxx::notification_receiver {
 public:
  ChannelPayloads(pqxx::connection_base& conn, const std::string& channel)
      : pqxx::notification_receiver(conn, channel) {}
  void operator()(const std::string& payload, int) override { payloads.push_back(payload); }
  std::vector<std::string> payloads;
};

}  // namespace

TEST_CASE("command store: a head with its snapshot as the append left it, and its events",
          "[command-store]") {
  testing::TestDatabase db;
  platform::DbSession session(db.url());
  PostgresCommandStore store(session);

  CHECK_FALSE(store.read_head("user", "u1"));
  CHECK(store.read_events("user", "u1", 0).empty());

  const auto appended = commit_append(store, user_added("u1"));
  REQUIRE(appended.events.size() == 1);
  REQUIRE(appended.last_hash);

  const auto head = store.read_head("user", "u1");
  REQUIRE(head);
  CHECK(head->sequence == 1);
  CHECK(head->owner == "org1");
  CHECK(head->snapshot == json{{"sequence", 1}, {"name", "first"}});
  CHECK(head->snapshot_revision == 7);
  CHECK(head->last_hash == appended.last_hash);
  CHECK(head->created_us == domain::to_unix_micros(appended.stream_created_at));

  commit_append(store, user_renamed("u1", 1, "second"));
  const auto events = store.read_events("user", "u1", 1);
  REQUIRE(events.size() == 1);
  CHECK(events[0].sequence == 2);
  CHECK(events[0].payload == json{{"name", "second"}});

  // In a transaction: the same head, and the events from the start.
  auto tx = store.begin();
  const auto in_tx = tx->read_head("user", "u1", false);
  REQUIRE(in_tx);
  CHECK(in_tx->sequence == 2);
  CHECK(tx->read_events("user", "u1").size() == 2);
  // reduce_inline reached the users read model.
  pqxx::connection check(db.url());
  CHECK(testing::count_rows(
            check, "SELECT count(*) FROM users_read_model WHERE id = 'u1' AND name = 'second'") ==
        1);
}

TEST_CASE("command store: nothing of a transaction stays unless committed, NOTIFY included",
          "[command-store]") {
  testing::TestDatabase db;
  platform::DbSession session(db.url());
  PostgresCommandStore store(session);
  pqxx::connection listener(db.url());
  ChannelPayloads heard(listener, "mu_test_channel");

  {
    auto tx = store.begin();
    tx->append(user_added("u1"));
    tx->notify("mu_test_channel", "rolled back");
    REQUIRE(
        tx->claim_idempotency_key({"editor1", "k1", "h", "UpdateMachine", "user", "u1", 1, {}}));
  }  // destroyed without commit()
  CHECK_FALSE(store.read_head("user", "u1"));

  auto tx = store.begin();
  const auto appended = tx->append(user_added("u1"));
  tx->notify("mu_test_channel", "committed");
  // The key is free: the claim above was rolled back with its transaction.
  CHECK(tx->claim_idempotency_key({"editor1", "k1", "h", "UpdateMachine", "user", "u1", 1, {}}));
  tx->commit();
  CHECK(store.read_head("user", "u1"));
  CHECK(store.transaction_status(appended.events[0].tx_id) ==
        eventstore::TransactionStatus::Committed);

  for (int i = 0; i < 50 && heard.payloads.empty(); ++i) listener.await_notification(0, 100000);
  CHECK(heard.payloads == std::vector<std::string>{"committed"});

  // Once committed, the key is another call's.
  auto again = store.begin();
  again->append(user_renamed("u1", 1, "second"));
  CHECK_FALSE(
      again->claim_idempotency_key({"editor1", "k1", "h", "UpdateMachine", "user", "u1", 2, {}}));
}

TEST_CASE("command store: a head that moved is a conflict, and a locked head holds writers off",
          "[command-store]") {
  testing::TestDatabase db;
  platform::DbSession session(db.url());
  PostgresCommandStore store(session);
  commit_append(store, user_added("u1"));
  pqxx::connection other(db.url());
  const auto try_lock = [&] {
    pqxx::work w(other);
    w.exec("SET LOCAL lock_timeout = '100ms'");
    w.exec("SELECT 1 FROM streams WHERE aggregate_id = 'u1' FOR UPDATE");
  };

  SECTION("a stale expected sequence, and a new stream that exists") {
    commit_append(store, user_renamed("u1", 1, "second"));
    {
      auto tx = store.begin();
      CHECK_THROWS_AS(tx->append(user_renamed("u1", 1, "lost")), eventstore::ConcurrencyConflict);
    }
    auto tx = store.begin();
    CHECK_THROWS_AS(tx->append(user_added("u1")), eventstore::ConcurrencyConflict);
  }
  SECTION("read with lock: FOR UPDATE until the transaction ends") {
    {
      auto tx = store.begin();
      REQUIRE(tx->read_head("user", "u1", true));
      CHECK_THROWS_AS(try_lock(), pqxx::sql_error);
    }
    CHECK_NOTHROW(try_lock());
    auto tx = store.begin();
    REQUIRE(tx->read_head("user", "u1", false));
    CHECK_NOTHROW(try_lock());
  }
  CHECK(testing::count_rows(other,
                            "SELECT count(*) FROM events WHERE aggregate_id = 'u1' AND "
                            "payload->>'name' = 'lost'") == 0);
}

TEST_CASE("command store: the one-statement append and the questions that settle a lost one",
          "[command-store]") {
  testing::TestDatabase db;
  platform::DbSession session(db.url());
  PostgresCommandStore store(session);
  commit_append(store, user_added("u1"));
  const auto shares = projections::statement_shares("user", "user.machine.changed");
  REQUIRE(shares);

  const auto head = store.read_head("user", "u1");
  REQUIRE(head);
  const auto appended = store.append_one(user_renamed("u1", 1, "second"), *head, *shares);
  REQUIRE(appended.last_hash);
  CHECK(appended.events.at(0).sequence == 2);
  CHECK_THROWS_AS(store.append_one(user_renamed("u1", 1, "lost"), *head, *shares),
                  eventstore::ConcurrencyConflict);
  pqxx::connection check(db.url());
  CHECK(testing::count_rows(
            check, "SELECT count(*) FROM users_read_model WHERE id = 'u1' AND name = 'second'") ==
        1);

  // Is the event with this hash there?
  CHECK(store.event_stored("user", "u1", *appended.last_hash));
  CHECK_FALSE(store.event_stored("user", "u2", *appended.last_hash));
  auto other_hash = *appended.last_hash;
  other_hash[0] ^= 1;
  CHECK_FALSE(store.event_stored("user", "u1", other_hash));
  CHECK(store.transaction_status(appended.events[0].tx_id) ==
        eventstore::TransactionStatus::Committed);

  // Is the server process that ran it gone? Another session of ours is ended to make sure.
  pqxx::connection lost(db.url());
  const int lost_pid = lost.backendpid();
  // A statement of another server run (a failover, a restart): its pid names no process of
  // ours here, so nothing is ended and it is gone.
  CHECK(store.backend_gone(lost_pid, "1999-01-01 00:00:00+00"));
  CHECK_NOTHROW(pqxx::nontransaction(lost).exec("SELECT 1"));
  // Of this run: ended, then gone.
  const std::string run = eventstore::server_run(session.connection());
  CHECK(store.backend_gone(lost_pid, run));
  CHECK_THROWS_AS(pqxx::nontransaction(lost).exec("SELECT 1"), pqxx::broken_connection);
  // The store's own session is not ended: it is there.
  CHECK_FALSE(store.backend_gone(session.connection().backendpid(), run));

  // A new connection for the questions.
  const int before = session.connection().backendpid();
  store.reconnect();
  CHECK(session.connection().backendpid() != before);
  CHECK(store.read_head("user", "u1")->sequence == 2);
}

TEST_CASE("command store: a lost connection is the call's Unavailable", "[command-store]") {
  testing::TestDatabase db;
  platform::DbSession session(db.url());
  PostgresCommandStore store(session);
  commit_append(store, user_added("u1"));
  {
    pqxx::connection admin(db.url());
    pqxx::nontransaction(admin).exec_params("SELECT pg_terminate_backend($1, 1000)",
                                            session.connection().backendpid());
  }
  try {
    (void)store.read_head("user", "u1");
    FAIL("a read on a terminated session succeeded");
  } catch (const std::exception& e) {
    CHECK(store.failure(e).code == domain::Code::Unavailable);
  }
  // The session then connects anew.
  CHECK(store.read_head("user", "u1"));
}
