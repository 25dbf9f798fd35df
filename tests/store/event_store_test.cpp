// EventStore against a real PostgreSQL: round trips, optimistic concurrency, immutability.
#include <atomic>
#include <map>
#include <set>
#include <thread>

#include <catch2/catch.hpp>

#include "eventstore/event_store.hpp"
#include "store_helpers.hpp"
#include "tests/support/test_database.hpp"

using namespace mu;
using eventstore::ConcurrencyConflict;
using eventstore::EventStore;

TEST_CASE("append returns the stored events and read_stream/read_after give them back",
          "[eventstore]") {
  testing::TestDatabase db;
  pqxx::connection conn(db.url());
  EventStore store(conn);

  auto request = testing::user_append(
      "u1", 0,
      {testing::new_event("user.machine.added", {{"userName", "alice"}, {"name", "Alice"}}),
       testing::new_event("user.locked", nlohmann::json::object(), 2)});
  request.snapshot = R"({"state":4})";
  request.snapshot_revision = 7;
  const auto appended = testing::append_committed(conn, request);

  REQUIRE(appended.size() == 2);
  CHECK(appended[0].sequence == 1);
  CHECK(appended[1].sequence == 2);
  CHECK(appended[0].position > 0);
  CHECK(appended[1].position > appended[0].position);
  CHECK(appended[0].owner == "org1");
  CHECK(appended[0].creator == "editor1");
  CHECK(appended[1].revision == 2);
  CHECK(appended[0].created_at <= appended[1].created_at);

  // A second stream, appended later: its events come after in the global order.
  const auto other = testing::append_committed(
      conn, testing::user_append("u2", 0, {testing::new_event("user.machine.added")}, "org2"));

  pqxx::work tx(conn);
  const auto stream = store.read_stream(tx, "user", "u1");
  REQUIRE(stream.size() == 2);
  for (std::size_t i = 0; i < 2; ++i) {
    CHECK(stream[i].aggregate_type == "user");
    CHECK(stream[i].aggregate_id == "u1");
    CHECK(stream[i].sequence == appended[i].sequence);
    CHECK(stream[i].position == appended[i].position);
    CHECK(stream[i].type == appended[i].type);
    CHECK(stream[i].revision == appended[i].revision);
    CHECK(stream[i].payload == appended[i].payload);
    CHECK(stream[i].creator == "editor1");
    CHECK(stream[i].owner == "org1");
    CHECK(stream[i].created_at == appended[i].created_at);
  }
  CHECK(stream[0].payload == nlohmann::json{{"userName", "alice"}, {"name", "Alice"}});

  const auto tail = store.read_stream(tx, "user", "u1", 1);
  REQUIRE(tail.size() == 1);
  CHECK(tail[0].sequence == 2);

  const auto all = store.read_after(tx, 0, 100);
  REQUIRE(all.size() == 3);
  CHECK(all[0].position == appended[0].position);
  CHECK(all[2].aggregate_id == "u2");
  CHECK(all[2].owner == "org2");
  CHECK(all[2].position == other[0].position);
  const auto after_first = store.read_after(tx, appended[0].position, 1);
  REQUIRE(after_first.size() == 1);
  CHECK(after_first[0].position == appended[1].position);

  // Microseconds survive: compare with PostgreSQL's own rendering of the column.
  const auto micros =
      tx.exec1(
            "SELECT to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS.US') "
            "FROM events WHERE aggregate_id = 'u1' AND sequence = 1")[0]
          .as<std::string>();
  const auto us = domain::to_unix_micros(stream[0].created_at);
  const auto db_us =
      tx.exec1("SELECT (extract(epoch FROM timestamp '" + micros + "') * 1000000)::bigint")[0]
          .as<long long>();
  CHECK(us == db_us);
  CHECK(stream[0].created_at.time_since_epoch().count() % 1000000 ==
        std::stoll(micros.substr(micros.size() - 6)));

  const auto head = store.load_head(tx, "user", "u1");
  REQUIRE(head);
  CHECK(head->sequence == 2);
  CHECK(head->owner == "org1");
  CHECK(head->snapshot == nlohmann::json{{"state", 4}});
  CHECK(head->snapshot_revision == 7);
  CHECK_FALSE(store.load_head(tx, "user", "nobody"));
  CHECK(store.load_head(tx, "user", "u2")->snapshot.is_null());
}

TEST_CASE("an append on a stale or taken head is a ConcurrencyConflict and writes nothing",
          "[eventstore]") {
  testing::TestDatabase db;
  pqxx::connection conn(db.url());
  EventStore store(conn);
  testing::append_committed(
      conn, testing::user_append("u1", 0, {testing::new_event("user.machine.added")}));
  testing::append_committed(conn,
                            testing::user_append("u1", 1, {testing::new_event("user.locked")}));

  {
    pqxx::work tx(conn);
    CHECK_THROWS_AS(
        store.append(tx, testing::user_append("u1", 1, {testing::new_event("user.unlocked")})),
        ConcurrencyConflict);
  }
  {
    pqxx::work tx(conn);
    CHECK_THROWS_AS(
        store.append(tx, testing::user_append("u1", 0, {testing::new_event("user.machine.added")})),
        ConcurrencyConflict);
  }
  {
    pqxx::work tx(conn);
    CHECK_THROWS_AS(
        store.append(tx, testing::user_append("u1", 5, {testing::new_event("user.unlocked")})),
        ConcurrencyConflict);
  }
  {
    // A stream that does not exist cannot be at sequence 3.
    pqxx::work tx(conn);
    CHECK_THROWS_AS(
        store.append(tx, testing::user_append("ghost", 3, {testing::new_event("user.unlocked")})),
        ConcurrencyConflict);
  }
  CHECK(testing::count_rows(conn, "SELECT count(*) FROM events") == 2);
  CHECK(testing::count_rows(conn, "SELECT sequence FROM streams WHERE aggregate_id = 'u1'") == 2);
  CHECK(testing::count_rows(conn, "SELECT count(*) FROM streams") == 1);

  pqxx::work tx(conn);
  CHECK_THROWS_AS(store.append(tx, testing::user_append("u1", 2, {})), std::invalid_argument);
}

TEST_CASE("16 writers on one stream end with sequences 1..16N contiguous and no event lost",
          "[eventstore][concurrency]") {
  testing::TestDatabase db;
  constexpr int kWriters = 16;
  constexpr int kPerWriter = 25;
  std::atomic<int> conflicts{0};
  std::vector<std::string> failures(kWriters);

  std::vector<std::thread> threads;
  for (int w = 0; w < kWriters; ++w) {
    threads.emplace_back([&, w] {
      try {
        pqxx::connection conn(db.url());
        EventStore store(conn);
        for (int i = 0; i < kPerWriter;) {
          try {
            pqxx::work tx(conn);
            const auto head = store.load_head(tx, "user", "shared");
            auto r = testing::user_append(
                "shared", head ? head->sequence : 0,
                {testing::new_event("user.machine.changed", {{"writer", w}, {"i", i}})});
            r.snapshot = nlohmann::json{{"writer", w}, {"i", i}}.dump();
            store.append(tx, r);
            tx.commit();
            ++i;
          } catch (const ConcurrencyConflict&) {
            ++conflicts;
          }
        }
      } catch (const std::exception& e) {
        failures[w] = e.what();
      }
    });
  }
  for (auto& t : threads) t.join();
  for (const auto& f : failures) CHECK(f.empty());

  pqxx::connection conn(db.url());
  EventStore store(conn);
  pqxx::work tx(conn);
  const auto events = store.read_stream(tx, "user", "shared");
  REQUIRE(events.size() == kWriters * kPerWriter);
  std::map<int, std::set<int>> seen;
  for (std::size_t k = 0; k < events.size(); ++k) {
    CHECK(events[k].sequence == k + 1);
    if (k > 0) {
      // The head is taken before the insert, so positions follow sequences within a stream.
      CHECK(events[k].position > events[k - 1].position);
      CHECK(events[k].created_at >= events[k - 1].created_at);
    }
    seen[events[k].payload.at("writer").get<int>()].insert(events[k].payload.at("i").get<int>());
  }
  REQUIRE(seen.size() == kWriters);
  for (const auto& [writer, is] : seen) {
    INFO("writer " << writer);
    CHECK(is.size() == kPerWriter);
    CHECK(*is.begin() == 0);
    CHECK(*is.rbegin() == kPerWriter - 1);
  }
  const auto head = store.load_head(tx, "user", "shared");
  REQUIRE(head);
  CHECK(head->sequence == kWriters * kPerWriter);
  CHECK(head->snapshot == events.back().payload);  // the head's snapshot is the last writer's
  WARN("conflicts retried: " << conflicts.load());
}

TEST_CASE("the database refuses UPDATE and DELETE and TRUNCATE of events", "[eventstore]") {
  testing::TestDatabase db;
  pqxx::connection conn(db.url());
  testing::append_committed(
      conn, testing::user_append("u1", 0, {testing::new_event("user.machine.added", {{"a", 1}})}));

  const auto refused = [&](const std::string& sql) {
    pqxx::work tx(conn);
    try {
      tx.exec(sql);
    } catch (const pqxx::sql_error& e) {
      return std::string(e.what()).find("events are append-only") != std::string::npos;
    }
    return false;
  };
  CHECK(refused("UPDATE events SET payload = '{\"a\": 2}'"));
  CHECK(refused("UPDATE events SET sequence = 9 WHERE aggregate_id = 'u1'"));
  CHECK(refused("DELETE FROM events"));
  CHECK(refused("DELETE FROM events WHERE aggregate_id = 'u1'"));
  CHECK(refused("TRUNCATE events"));
  CHECK(refused("TRUNCATE events CASCADE"));

  pqxx::read_transaction tx(conn);
  CHECK(tx.exec1("SELECT payload::text FROM events")[0].as<std::string>() == "{\"a\": 1}");
  CHECK(tx.exec1("SELECT count(*) FROM events")[0].as<int>() == 1);
}

TEST_CASE("every append returns its stream's creation date: the first event's time",
          "[eventstore]") {
  testing::TestDatabase db;
  pqxx::connection conn(db.url());
  EventStore store(conn);
  eventstore::Appended first, later;
  {
    pqxx::work tx(conn);
    first = store.append(tx, testing::user_append("u1", 0,
                                                  {testing::new_event("user.machine.added"),
                                                   testing::new_event("user.locked")}));
    tx.commit();
  }
  {
    pqxx::work tx(conn);
    later = store.append(tx, testing::user_append("u1", 2, {testing::new_event("user.unlocked")}));
    tx.commit();
  }
  CHECK(first.stream_created_at == first.events[0].created_at);
  CHECK(first.events[1].created_at >= first.events[0].created_at);
  CHECK(later.stream_created_at == first.events[0].created_at);
  CHECK(later.events[0].created_at > later.stream_created_at);
  // The events record the transaction that wrote them, for readers of the global order.
  CHECK(first.events[0].tx_id > 0);
  CHECK(first.events[0].tx_id == first.events[1].tx_id);
  CHECK(later.events[0].tx_id > first.events[0].tx_id);
  pqxx::read_transaction tx(conn);
  CHECK(store.read_stream(tx, "user", "u1")[2].tx_id == later.events[0].tx_id);
}
