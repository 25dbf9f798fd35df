// The hash chain and the seals against a real PostgreSQL: what the append writes is what
// `audit verify` recomputes, across batches, streams and concurrent writers.
#include <thread>

#include <catch2/catch.hpp>

#include "domain/seal.hpp"
#include "eventstore/audit_integrity.hpp"
#include "store_helpers.hpp"
#include "tests/support/test_database.hpp"

using namespace mu;

TEST_CASE("the append chains each event's hash to the one before, and verify recomputes them",
          "[audit]") {
  testing::TestDatabase db;
  pqxx::connection conn(db.url());
  // A batch of two, then one more: the chain crosses the statements; odd text too.
  testing::append_committed(
      conn, testing::user_append("u1", 0,
                                 {testing::new_event("user.machine.added", {{"name", "Zoë \t\\"}}),
                                  testing::new_event("user.locked")}));
  testing::append_committed(conn,
                            testing::user_append("u1", 2, {testing::new_event("user.unlocked")}));
  testing::append_committed(
      conn, testing::user_append("u2", 0, {testing::new_event("user.machine.added")}));

  pqxx::read_transaction tx(conn);
  const auto rows = tx.exec(
      "SELECT sequence, encode(hash, 'hex') FROM events WHERE aggregate_id = 'u1' ORDER BY "
      "sequence");
  REQUIRE(rows.size() == 3);
  for (const auto& r : rows) CHECK(r[1].as<std::string>().size() == 64);
  CHECK(tx.exec1("SELECT encode(last_hash, 'hex') FROM streams WHERE aggregate_id = 'u1'")[0]
            .as<std::string>() == rows[2][1].as<std::string>());
  tx.commit();

  const auto report = eventstore::verify_store(db.url(), {});
  CHECK_FALSE(report.failure);
  CHECK(report.events == 4);
  CHECK(report.streams == 2);
  CHECK(report.unsealed_events == 4);
}

TEST_CASE("concurrent writers on one stream keep one unbroken chain", "[audit]") {
  testing::TestDatabase db;
  {
    pqxx::connection conn(db.url());
    testing::append_committed(
        conn, testing::user_append("hot", 0, {testing::new_event("user.machine.added")}));
  }
  std::vector<std::thread> writers;
  for (int w = 0; w < 4; ++w) {
    writers.emplace_back([&] {
      pqxx::connection conn(db.url());
      eventstore::EventStore store(conn);
      for (int done = 0; done < 10;) {
        pqxx::work tx(conn);
        const auto head = store.load_head(tx, "user", "hot", false);
        try {
          store.append(
              tx, testing::user_append("hot", head->sequence, {testing::new_event("user.locked")}));
          tx.commit();
          ++done;
        } catch (const eventstore::ConcurrencyConflict&) {
        }
      }
    });
  }
  for (auto& t : writers) t.join();
  pqxx::connection conn(db.url());
  const auto report = eventstore::verify_store(db.url(), {});
  CHECK_FALSE(report.failure);
  CHECK(report.events == 41);
}

TEST_CASE("a seal covers the events below the horizon, chained and signed", "[audit]") {
  testing::TestDatabase db;
  pqxx::connection conn(db.url());
  const auto key = domain::new_private_key_pem();
  CHECK_FALSE(eventstore::seal_now(conn, key, true));  // nothing to seal
  testing::append_committed(
      conn, testing::user_append("u1", 0, {testing::new_event("user.machine.added")}));
  testing::append_committed(
      conn, testing::user_append("u2", 0, {testing::new_event("user.machine.added")}));
  const auto first = eventstore::seal_now(conn, key, true);
  REQUIRE(first);
  CHECK(first->id == 1);
  CHECK(first->events == 2);

  // An open transaction holds the horizon: its event and every later one wait for the
  // next seal, so that no seal ever skips an event that commits late.
  pqxx::connection slow_conn(db.url());
  eventstore::EventStore slow_store(slow_conn);
  pqxx::work slow(slow_conn);
  slow_store.append(slow,
                    testing::user_append("late", 0, {testing::new_event("user.machine.added")}));
  testing::append_committed(
      conn, testing::user_append("u3", 0, {testing::new_event("user.machine.added")}));
  CHECK_FALSE(eventstore::seal_now(conn, key, true));
  slow.commit();
  const auto second = eventstore::seal_now(conn, key, true);
  REQUIRE(second);
  CHECK(second->events == 2);
  CHECK(second->prev_digest == first->digest);

  const auto stored = eventstore::stored_seals(conn);
  REQUIRE(stored.size() == 2);
  CHECK(domain::signature_holds(*domain::public_key_pem(key), domain::statement(stored[1]),
                                stored[1].signature_hex));
  eventstore::VerifyOptions options;
  options.public_pem = domain::public_key_pem(key);
  options.seal_log = stored;
  const auto report = eventstore::verify_store(db.url(), options);
  INFO("verify: " << report.failure.value_or("no failure"));  // failed once under ASan, unread
  CHECK_FALSE(report.failure);
  CHECK(report.seals == 2);
  CHECK(report.sealed_events == 4);
  CHECK(report.unsealed_events == 0);
  // A seal log line reads back as the seal.
  const auto back = eventstore::seal_from_log_line(eventstore::seal_log_line(stored[0]));
  REQUIRE(back);
  CHECK(domain::statement(*back) == domain::statement(stored[0]));
}
