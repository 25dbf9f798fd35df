// The hash chain and the seals against a real PostgreSQL: what the append writes is what
// `audit verify` recomputes, across batches, streams and concurrent writers.
#include <algorithm>
#include <thread>

#include <catch2/catch.hpp>

#include "domain/seal.hpp"
#include "eventstore/audit_integrity.hpp"
#include "eventstore/audit_queries.hpp"
#include "store_helpers.hpp"
#include "tests/support/test_database.hpp"

using namespace mu;

namespace {

// Transaction ids belong to the cluster, and a fresh one starts near 735: the order of
// the events is only put to the test once their ids have different numbers of digits.
// The server takes ids cheaply in a DO block that commits after each.
void take_transaction_ids_until(pqxx::connection& conn, std::uint64_t xid) {
  pqxx::nontransaction n(conn);
  n.exec("DO $$ BEGIN WHILE pg_current_xact_id() < '" + std::to_string(xid) +
         "'::xid8 LOOP COMMIT; END LOOP; END $$");
}

// Appends users a0, a1, ... to each database, each in a transaction of its own, until
// each holds events below a power of ten of transaction ids (1000 on a fresh cluster) and
// at or above it; returns that power. Every crossing costs ten times the last (ids are
// the cluster's), so one serves every database of the test. Tests running beside this one
// take ids too: when they took the few meant for below it, the next power is tried.
std::uint64_t users_across_a_power_of_ten(const std::vector<pqxx::connection*>& dbs) {
  int user = 0;
  for (int attempt = 0; attempt < 3; ++attempt) {
    std::uint64_t next;
    {
      pqxx::nontransaction n(*dbs.front());
      next = n.exec1("SELECT pg_current_xact_id()::text::bigint")[0].as<std::uint64_t>() + 1;
    }
    std::uint64_t power = 1000;
    while (power < next + 20) power *= 10;
    const int rounds = 6;  // about half of them below the power
    take_transaction_ids_until(*dbs.front(), power - rounds * dbs.size() / 2);
    for (int i = 0; i < rounds; ++i, ++user) {
      for (auto* conn : dbs) {
        testing::append_committed(*conn,
                                  testing::user_append("a" + std::to_string(user), 0,
                                                       {testing::new_event("user.machine.added")}));
      }
    }
    const auto p = std::to_string(power);
    const bool across = std::all_of(dbs.begin(), dbs.end(), [&](pqxx::connection* conn) {
      return testing::count_rows(
                 *conn, "SELECT count(*) FROM events WHERE tx_id < '" + p + "'::xid8") > 0 &&
             testing::count_rows(
                 *conn, "SELECT count(*) FROM events WHERE tx_id >= '" + p + "'::xid8") > 0;
    });
    if (across) return power;
  }
  FAIL("could not place events on both sides of a power of ten of transaction ids");
  return 0;
}

// The events' positions in (transaction, position) order, transaction ids as numbers.
std::vector<std::int64_t> positions_in_transaction_order(pqxx::connection& conn) {
  pqxx::read_transaction tx(conn);
  std::vector<std::int64_t> out;
  for (const auto& r : tx.exec("SELECT e.position FROM events e ORDER BY e.tx_id, e.position")) {
    out.push_back(r[0].as<std::int64_t>());
  }
  return out;
}

}  // namespace

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

// Transaction ids 999 and 1000 (or 99999 and 100000: whichever power of ten the cluster
// reaches next) as text sort the other way round. One test case without sections, so that
// the cluster crosses one power of ten only.
TEST_CASE("seal, verify and ListEvents take transaction ids as numbers: 999 before 1000",
          "[audit]") {
  testing::TestDatabase db;
  pqxx::connection conn(db.url());
  const auto key = domain::new_private_key_pem();
  const auto power = users_across_a_power_of_ten({&conn});

  // Seals made now end at the greatest transaction id, and verify takes them in that order.
  {
    const auto all = positions_in_transaction_order(conn);

    // The first seal covers every event, the ones past the power of ten included: its last
    // event is the one with the greatest transaction id.
    const auto first = eventstore::seal_now(conn, key, true);
    REQUIRE(first);
    CHECK(first->events == all.size());
    CHECK(first->upto_tx >= power);
    CHECK(first->upto_position == all.back());

    // The next seal covers only what came after: nothing of the first one again.
    testing::append_committed(
        conn, testing::user_append("b0", 0, {testing::new_event("user.machine.added")}));
    const auto second = eventstore::seal_now(conn, key, true);
    REQUIRE(second);
    CHECK(second->events == 1);

    eventstore::VerifyOptions options;
    options.public_pem = domain::public_key_pem(key);
    options.seal_log = eventstore::stored_seals(conn);
    const auto report = eventstore::verify_store(db.url(), options);
    INFO("verify: " << report.failure.value_or("no failure"));
    CHECK_FALSE(report.failure);
    CHECK(report.seals == 2);
    CHECK(report.sealed_events == all.size() + 1);
    CHECK(report.unsealed_events == 0);
    CHECK(report.notes.empty());
  }

  // ListEvents pages in numeric order, its cursor too (it always did).
  {
    const auto all = positions_in_transaction_order(conn);
    for (const bool asc : {true, false}) {
      std::vector<std::int64_t> seen;
      domain::EventsQuery q;
      q.asc = asc;
      for (;;) {  // pages of 5, each after the last event of the one before
        pqxx::read_transaction tx(conn);
        const auto window = eventstore::events_window(tx, q.after_position);
        REQUIRE(window);
        const auto page =
            eventstore::list_events(tx, eventstore::events_select(tx, q, "", *window, 5));
        for (const auto& e : page) seen.push_back(e.position);
        if (page.size() < 5) break;
        q.after_position = static_cast<std::uint64_t>(page.back().position);
      }
      auto expected = all;
      if (!asc) std::reverse(expected.begin(), expected.end());
      CHECK(seen == expected);
    }
  }
}
