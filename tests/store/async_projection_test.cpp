// Async projections read the events after they committed. Positions are taken in
// one order and committed in another; a reader that remembers only the last
// position it saw skips an event whose transaction commits late. These tests make
// transactions commit late on purpose and require that nothing is skipped.
#include <atomic>
#include <random>
#include <thread>

#include <catch2/catch.hpp>

#include "eventstore/event_store.hpp"
#include "projections/catch_up.hpp"
#include "projections/registry.hpp"
#include "projections/users_projection.hpp"
#include "store_helpers.hpp"
#include "tests/support/test_database.hpp"

using namespace mu;

namespace {

// Every row of a users table, in id order, as text.
std::vector<std::string> rows_of(pqxx::connection& conn, const std::string& table) {
  pqxx::read_transaction tx(conn);
  std::vector<std::string> rows;
  for (const auto& r :
       tx.exec("SELECT to_jsonb(t)::text FROM " + tx.quote_name(table) + " t ORDER BY id")) {
    rows.push_back(r[0].as<std::string>());
  }
  return rows;
}

std::size_t drain(pqxx::connection& conn, const std::string& checkpoint,
                  const projections::ReduceBatch& reduce, std::size_t batch) {
  std::size_t total = 0;
  for (;;) {
    pqxx::work tx(conn);
    const auto n = projections::catch_up_step(tx, checkpoint, batch, reduce);
    tx.commit();
    if (n == 0) return total;
    total += n;
  }
}

}  // namespace

TEST_CASE("an async projection equals the inline one, row for row, with writers committing late",
          "[projections][async]") {
  testing::TestDatabase db;
  {
    pqxx::connection conn(db.url());
    pqxx::work tx(conn);
    tx.exec("CREATE TABLE users_read_model_async (LIKE users_read_model INCLUDING ALL)");
    tx.commit();
  }
  constexpr int kWriters = 8;
  constexpr int kEventsPerWriter = 12500;  // 100,000 events in all
  constexpr int kUsersPerWriter = 25;
  std::atomic<bool> writing{true};
  std::atomic<long> written{0};

  // The async side runs all along, in small batches, racing the writers.
  std::size_t reduced_while_writing = 0;
  std::thread reader([&] {
    pqxx::connection conn(db.url());
    const auto reduce = projections::make_reducer(conn, *projections::find_projection("users"),
                                                  "_async", projections::Batching::InMemory);
    while (writing) {
      reduced_while_writing += drain(conn, "users@test", reduce, 97);
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
  });

  std::vector<std::thread> writers;
  for (int w = 0; w < kWriters; ++w) {
    writers.emplace_back([&, w] {
      pqxx::connection conn(db.url());
      eventstore::EventStore store(conn);
      projections::UsersProjection users(conn);  // inline, in the writer's transaction
      std::mt19937 rng(static_cast<unsigned>(w) * 7919u + 1u);
      std::uniform_int_distribution<int> pause_us(0, 400);
      std::vector<std::uint64_t> sequence(kUsersPerWriter, 0);
      for (int i = 0; i < kEventsPerWriter; ++i) {
        const int u = i % kUsersPerWriter;
        const std::string id = "w" + std::to_string(w) + "u" + std::to_string(u);
        std::vector<domain::NewEvent> events;
        if (sequence[u] == 0) {
          events.push_back(testing::new_event(
              "user.machine.added", {{"userName", id}, {"name", "n0"}, {"description", ""}}));
        } else if (i % 7 == 0) {
          events.push_back(testing::new_event(i % 2 ? "user.locked" : "user.unlocked"));
        } else {
          events.push_back(testing::new_event(
              "user.machine.changed",
              {{"name", "n" + std::to_string(i)}, {"description", "d" + std::to_string(i % 13)}}));
        }
        pqxx::work tx(conn);
        auto appended = store.append(tx, testing::user_append(id, sequence[u], std::move(events)));
        users.apply_inline(tx, appended.events);
        // Commit late, in random order relative to the other writers' positions.
        std::this_thread::sleep_for(std::chrono::microseconds(pause_us(rng)));
        tx.commit();
        sequence[u] = appended.events.back().sequence;
        ++written;
      }
    });
  }
  for (auto& t : writers) t.join();
  writing = false;
  reader.join();

  pqxx::connection conn(db.url());
  const auto reduce = projections::make_reducer(conn, *projections::find_projection("users"),
                                                "_async", projections::Batching::InMemory);
  const auto rest = drain(conn, "users@test", reduce, 1000);
  CHECK(written == kWriters * kEventsPerWriter);
  CHECK(reduced_while_writing > 0);  // the race was real: it read while writers wrote
  CHECK(reduced_while_writing + rest == static_cast<std::size_t>(written.load()));
  const auto inline_rows = rows_of(conn, "users_read_model");
  const auto async_rows = rows_of(conn, "users_read_model_async");
  REQUIRE(inline_rows.size() == kWriters * kUsersPerWriter);
  CHECK(async_rows == inline_rows);
}

TEST_CASE("a transaction that commits after later positions were read is not skipped",
          "[projections][async]") {
  testing::TestDatabase db;
  pqxx::connection slow_conn(db.url()), fast_conn(db.url()), reader(db.url());
  {
    pqxx::work tx(reader);
    tx.exec("CREATE TABLE users_read_model_async (LIKE users_read_model INCLUDING ALL)");
    tx.commit();
  }
  eventstore::EventStore slow_store(slow_conn), fast_store(fast_conn);
  const auto reduce = projections::make_reducer(reader, *projections::find_projection("users"),
                                                "_async", projections::Batching::InMemory);

  // The slow transaction takes the lower position and stays open ...
  pqxx::work slow(slow_conn);
  auto low = slow_store.append(
      slow, testing::user_append(
                "slow", 0, {testing::new_event("user.machine.added", {{"userName", "slow"}})}));
  // ... while a later one commits, and the reader passes it.
  {
    pqxx::work fast(fast_conn);
    auto high = fast_store.append(
        fast, testing::user_append(
                  "fast", 0, {testing::new_event("user.machine.added", {{"userName", "fast"}})}));
    fast.commit();
    CHECK(high.events[0].position > low.events[0].position);
  }
  CHECK(drain(reader, "users@test", reduce, 100) == 1);
  slow.commit();
  // The late commit is reduced on the next step, lower position and all.
  CHECK(drain(reader, "users@test", reduce, 100) == 1);
  pqxx::read_transaction tx(reader);
  CHECK(tx.exec1("SELECT count(*) FROM users_read_model_async")[0].as<int>() == 2);
}
