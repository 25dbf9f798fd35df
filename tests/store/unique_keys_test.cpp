// Unique keys claimed and released with the events that need them.
#include <atomic>
#include <thread>

#include <catch2/catch.hpp>

#include "eventstore/event_store.hpp"
#include "store_helpers.hpp"
#include "tests/support/test_database.hpp"

using namespace mu;
using eventstore::EventStore;
using eventstore::UniqueKey;
using eventstore::UniqueKeyTaken;

namespace {

eventstore::AppendRequest claiming(const std::string& id, std::uint64_t expected,
                                   std::vector<UniqueKey> claim,
                                   std::vector<UniqueKey> release = {}) {
  auto r = testing::user_append(id, expected, {testing::new_event("user.machine.added")});
  r.claim = std::move(claim);
  r.release = std::move(release);
  return r;
}

std::string holder(pqxx::connection& conn, const std::string& value) {
  pqxx::read_transaction tx(conn);
  const auto r = tx.exec("SELECT aggregate_id FROM unique_constraints WHERE unique_value = " +
                         tx.quote(value));
  return r.empty() ? "" : r[0][0].as<std::string>();
}

}  // namespace

TEST_CASE("a key claimed by one aggregate is UniqueKeyTaken for another until released",
          "[eventstore][unique]") {
  testing::TestDatabase db;
  pqxx::connection conn(db.url());
  EventStore store(conn);
  const UniqueKey alice{"usernames", "org1:alice"};

  testing::append_committed(conn, claiming("a", 0, {alice}));
  CHECK(holder(conn, "org1:alice") == "a");

  {
    pqxx::work tx(conn);
    try {
      store.append(tx, claiming("b", 0, {UniqueKey{"usernames", "org1:bob"}, alice}));
      FAIL("the claim should have been refused");
    } catch (const UniqueKeyTaken& e) {
      CHECK(e.key.type == "usernames");
      CHECK(e.key.value == "org1:alice");
    }
    // Even a caller that commits after the refusal commits nothing.
    try {
      tx.commit();
    } catch (const std::exception&) {
    }
  }
  CHECK(testing::count_rows(conn, "SELECT count(*) FROM events WHERE aggregate_id = 'b'") == 0);
  CHECK(testing::count_rows(conn, "SELECT count(*) FROM streams WHERE aggregate_id = 'b'") == 0);
  CHECK(holder(conn, "org1:bob").empty());

  // The holder claiming its own key again is no conflict.
  testing::append_committed(conn, claiming("a", 1, {alice}));
  CHECK(holder(conn, "org1:alice") == "a");

  // Another aggregate cannot release a key it does not hold.
  testing::append_committed(conn, claiming("c", 0, {}, {alice}));
  CHECK(holder(conn, "org1:alice") == "a");

  // Released (e.g. renamed): the key is free for b, and a holds its new one.
  testing::append_committed(conn,
                            claiming("a", 2, {UniqueKey{"usernames", "org1:alice2"}}, {alice}));
  CHECK(holder(conn, "org1:alice").empty());
  CHECK(holder(conn, "org1:alice2") == "a");
  testing::append_committed(conn, claiming("b", 0, {alice}));
  CHECK(holder(conn, "org1:alice") == "b");

  // The same value under another type is another key.
  testing::append_committed(conn, claiming("d", 0, {UniqueKey{"emails", "org1:alice"}}));
  CHECK(testing::count_rows(conn, "SELECT count(*) FROM unique_constraints") == 3);
}

TEST_CASE("of 8 aggregates claiming one key at once exactly one wins", "[eventstore][unique]") {
  testing::TestDatabase db;
  std::atomic<int> won{0};
  std::atomic<int> taken{0};
  std::atomic<int> other{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&, i] {
      try {
        pqxx::connection conn(db.url());
        EventStore store(conn);
        pqxx::work tx(conn);
        store.append(tx, claiming("agg" + std::to_string(i), 0, {UniqueKey{"usernames", "x"}}));
        tx.commit();
        ++won;
      } catch (const UniqueKeyTaken&) {
        ++taken;
      } catch (...) {
        ++other;
      }
    });
  }
  for (auto& t : threads) t.join();
  CHECK(won == 1);
  CHECK(taken == 7);
  CHECK(other == 0);
  pqxx::connection conn(db.url());
  CHECK(testing::count_rows(conn, "SELECT count(*) FROM streams") == 1);
  CHECK(testing::count_rows(conn, "SELECT count(*) FROM unique_constraints") == 1);
}
