// The users read model: events in, rows out.
#include <algorithm>

#include <catch2/catch.hpp>

#include "eventstore/event_store.hpp"
#include "projections/rebuild.hpp"
#include "projections/users_projection.hpp"
#include "store_helpers.hpp"
#include "tests/support/test_database.hpp"

using namespace mu;
using domain::AccessTokenType;
using domain::UserState;
using projections::UsersProjection;

namespace {

// Appends and projects in one transaction, as a command does.
std::vector<domain::StoredEvent> record(pqxx::connection& conn, const std::string& id,
                                        std::vector<domain::NewEvent> events) {
  eventstore::EventStore store(conn);
  UsersProjection users(conn);
  pqxx::work tx(conn);
  const auto head = store.load_head(tx, "user", id);
  const auto stored =
      store.append(tx, testing::user_append(id, head ? head->sequence : 0, std::move(events)))
          .events;
  users.apply(tx, stored);
  tx.commit();
  return stored;
}

std::optional<projections::UserView> find(pqxx::connection& conn, const std::string& id) {
  UsersProjection users(conn);
  pqxx::read_transaction tx(conn);
  return users.find(tx, id);
}

std::int64_t checkpoint(pqxx::connection& conn) {
  UsersProjection users(conn);
  pqxx::read_transaction tx(conn);
  return users.position(tx);
}

const nlohmann::json kAdded = {{"userName", "robot"},
                               {"name", "Robot"},
                               {"description", "does things"},
                               {"accessTokenType", 1}};

}  // namespace

TEST_CASE("user.machine.added makes an active row with the event's details", "[projection]") {
  testing::TestDatabase db;
  pqxx::connection conn(db.url());
  CHECK(checkpoint(conn) == 0);

  const auto added = record(conn, "u1", {testing::new_event("user.machine.added", kAdded)});
  const auto user = find(conn, "u1");
  REQUIRE(user);
  CHECK(user->id == "u1");
  CHECK(user->owner == "org1");
  CHECK(user->state == UserState::Active);
  CHECK(user->user_name == "robot");
  CHECK(user->name == "Robot");
  CHECK(user->description == "does things");
  CHECK(user->access_token_type == AccessTokenType::Jwt);
  CHECK(user->creation_date == added[0].created_at);
  CHECK(user->change_date == added[0].created_at);
  CHECK(user->sequence == 1);
  CHECK(user->position == added[0].position);
  CHECK(checkpoint(conn) == added[0].position);
  CHECK_FALSE(find(conn, "nobody"));

  // accessTokenType left out means BEARER.
  record(conn, "u2",
         {testing::new_event("user.machine.added", {{"userName", "r2"}, {"name", "R"}})});
  const auto u2 = find(conn, "u2");
  REQUIRE(u2);
  CHECK(u2->access_token_type == AccessTokenType::Bearer);
  CHECK(u2->description.empty());
}

TEST_CASE("user.machine.changed updates only the fields in its payload", "[projection]") {
  testing::TestDatabase db;
  pqxx::connection conn(db.url());
  const auto added = record(conn, "u1", {testing::new_event("user.machine.added", kAdded)});

  const auto changed =
      record(conn, "u1", {testing::new_event("user.machine.changed", {{"description", "new"}})});
  auto user = find(conn, "u1");
  REQUIRE(user);
  CHECK(user->name == "Robot");
  CHECK(user->description == "new");
  CHECK(user->access_token_type == AccessTokenType::Jwt);
  CHECK(user->sequence == 2);
  CHECK(user->position == changed[0].position);
  CHECK(user->creation_date == added[0].created_at);
  CHECK(user->change_date == changed[0].created_at);
  CHECK(user->change_date > user->creation_date);

  record(conn, "u1",
         {testing::new_event("user.machine.changed",
                             {{"name", "Robo"}, {"description", ""}, {"accessTokenType", 0}})});
  user = find(conn, "u1");
  REQUIRE(user);
  CHECK(user->name == "Robo");
  CHECK(user->description.empty());
  CHECK(user->access_token_type == AccessTokenType::Bearer);
  CHECK(user->user_name == "robot");
  CHECK(user->sequence == 3);
}

TEST_CASE("lifecycle events move the state and user.removed deletes the row", "[projection]") {
  testing::TestDatabase db;
  pqxx::connection conn(db.url());
  record(conn, "u1", {testing::new_event("user.machine.added", kAdded)});

  const std::vector<std::pair<std::string, UserState>> steps = {
      {"user.deactivated", UserState::Inactive}, {"user.reactivated", UserState::Active},
      {"user.locked", UserState::Locked},        {"user.unlocked", UserState::Active},
      {"user.deactivated", UserState::Inactive}, {"user.locked", UserState::Locked},
  };
  std::uint64_t sequence = 1;
  for (const auto& [type, state] : steps) {
    INFO(type);
    const auto stored = record(conn, "u1", {testing::new_event(type)});
    const auto user = find(conn, "u1");
    REQUIRE(user);
    CHECK(user->state == state);
    CHECK(user->sequence == ++sequence);
    CHECK(user->change_date == stored[0].created_at);
    CHECK(user->position == stored[0].position);
    CHECK(user->name == "Robot");
  }

  const auto removed = record(conn, "u1", {testing::new_event("user.removed")});
  CHECK_FALSE(find(conn, "u1"));
  CHECK(checkpoint(conn) == removed[0].position);
}

TEST_CASE("re-applying events is harmless and a reset replay rebuilds the same rows",
          "[projection]") {
  testing::TestDatabase db;
  pqxx::connection conn(db.url());
  record(conn, "u1",
         {testing::new_event("user.machine.added", kAdded),
          testing::new_event("user.machine.changed", {{"name", "Renamed"}})});
  record(conn, "u1", {testing::new_event("user.locked")});
  record(conn, "u2", {testing::new_event("user.machine.added", kAdded)});
  record(conn, "u2", {testing::new_event("user.removed")});
  record(conn, "u3", {testing::new_event("user.machine.added", {{"userName", "three"}})});
  const auto before = find(conn, "u1");
  REQUIRE(before);
  CHECK(before->name == "Renamed");
  CHECK(before->state == UserState::Locked);
  const auto last = checkpoint(conn);

  eventstore::EventStore store(conn);
  UsersProjection users(conn);
  {
    // Everything once more, in order, then u1's stream newest first: nothing moves.
    pqxx::work tx(conn);
    const auto all = store.read_after(tx, 0, 1000);
    REQUIRE(all.size() == 6);
    users.apply(tx, all);
    auto u1 = store.read_stream(tx, "user", "u1");
    REQUIRE(u1.size() == 3);
    std::reverse(u1.begin(), u1.end());
    for (const auto& e : u1) users.apply(tx, {e});
    tx.commit();
  }
  CHECK(find(conn, "u1") == before);
  CHECK_FALSE(find(conn, "u2"));
  CHECK(checkpoint(conn) == last);

  {
    pqxx::work tx(conn);
    users.reset(tx);
    tx.commit();
  }
  CHECK(checkpoint(conn) == 0);
  CHECK_FALSE(find(conn, "u1"));
  CHECK_FALSE(find(conn, "u3"));
  CHECK(testing::count_rows(conn, "SELECT count(*) FROM users_read_model") == 0);

  {
    // A replay in pages, as a rebuild would do it.
    pqxx::work tx(conn);
    for (auto page = store.read_after(tx, users.position(tx), 2); !page.empty();
         page = store.read_after(tx, users.position(tx), 2)) {
      users.apply(tx, page);
    }
    tx.commit();
  }
  CHECK(find(conn, "u1") == before);
  CHECK_FALSE(find(conn, "u2"));
  REQUIRE(find(conn, "u3"));
  CHECK(find(conn, "u3")->user_name == "three");
  CHECK(checkpoint(conn) == last);
}

TEST_CASE("events of other aggregates are skipped but counted in the checkpoint", "[projection]") {
  testing::TestDatabase db;
  pqxx::connection conn(db.url());
  auto request = testing::user_append("o1", 0, {testing::new_event("user.machine.added", kAdded)});
  request.aggregate_type = "org";
  const auto stored = testing::append_committed(conn, request);
  UsersProjection users(conn);
  {
    pqxx::work tx(conn);
    users.apply(tx, stored);
    tx.commit();
  }
  CHECK_FALSE(find(conn, "o1"));
  CHECK(checkpoint(conn) == stored[0].position);
}

TEST_CASE("apply_inline reduces without moving the checkpoint", "[projection]") {
  testing::TestDatabase db;
  pqxx::connection conn(db.url());
  const auto stored = testing::append_committed(
      conn, testing::user_append("u1", 0, {testing::new_event("user.machine.added", kAdded)}));
  UsersProjection users(conn);
  {
    pqxx::work tx(conn);
    const auto row = users.apply_inline(tx, stored);
    REQUIRE(row);  // the row as the event left it: a command's details without another read
    CHECK(row->id == "u1");
    CHECK(row->sequence == 1);
    CHECK(row->creation_date == stored[0].created_at);
    tx.commit();
  }
  REQUIRE(find(conn, "u1"));
  CHECK(find(conn, "u1")->sequence == 1);
  CHECK(checkpoint(conn) == 0);

  SECTION("a removal returns the row it removed") {
    const auto removed = testing::append_committed(
        conn, testing::user_append("u1", 1, {testing::new_event("user.removed", {})}));
    pqxx::work tx(conn);
    const auto row = users.apply_inline(tx, removed);
    REQUIRE(row);
    CHECK(row->creation_date == stored[0].created_at);
    CHECK(row->sequence == 1);
    tx.commit();
    CHECK_FALSE(find(conn, "u1"));
  }
  SECTION("the inline checkpoint is recorded apart, to the last visible position") {
    {
      pqxx::nontransaction tx(conn);
      users.record_inline_checkpoint(tx);
    }
    CHECK(checkpoint(conn) == stored[0].position);
  }
}

// The replay's first pass streams the events with COPY, whose text format escapes
// tabs, newlines and backslashes: every one must come back as it was written.
TEST_CASE("a replay reads back every character a payload can hold", "[projection]") {
  testing::TestDatabase db;
  pqxx::connection conn(db.url());
  const std::string awkward =
      "tab\there, new\nline\r, back\\slash \\N \\t, quote\" \u00e9\u4e2d \x01";
  const std::string id = "user\twith\\tab";
  record(conn, id,
         {testing::new_event("user.machine.added",
                             {{"userName", "odd"}, {"name", "n"}, {"description", "d"}}),
          testing::new_event("user.machine.changed", {{"name", awkward}, {"description", "\\"}})});
  const auto before = find(conn, id);
  REQUIRE(before);
  REQUIRE(before->name == awkward);

  const auto* users = projections::find_projection("users");
  REQUIRE(users);
  CHECK(projections::replay(conn, *users, {}) == 2);
  const auto after = find(conn, id);
  REQUIRE(after);
  CHECK(after->name == awkward);
  CHECK(after->description == "\\");
  CHECK(*after == *before);
  // verify rebuilds the other way (batches read with a plain SELECT) and finds no difference.
  CHECK(projections::verify(conn, *users).empty());
}

// Enough users that the replay's in-memory index grows several times, with removals.
TEST_CASE("a replay of thousands of users equals the rebuild in batches", "[projection]") {
  testing::TestDatabase db;
  pqxx::connection conn(db.url());
  {
    pqxx::work tx(conn);
    // 5,000 users, three events each, interleaved across users as a busy service
    // writes them; every seventh user is removed at the end.
    tx.exec(R"sql(
      INSERT INTO events (aggregate_type, aggregate_id, sequence, event_type, payload, creator, owner)
      SELECT 'user', 'u' || (n % 5000), n / 5000 + 1,
             CASE WHEN n < 5000 THEN 'user.machine.added'
                  WHEN n >= 10000 AND (n % 5000) % 7 = 0 THEN 'user.removed'
                  ELSE 'user.machine.changed' END,
             CASE WHEN n < 5000 THEN jsonb_build_object('userName', 'u' || n, 'name', 'n')
                  ELSE jsonb_build_object('name', 'n' || n) END,
             'test', 'org1'
        FROM generate_series(0, 14999) AS n ORDER BY n)sql");
    tx.exec(
        "INSERT INTO streams (aggregate_type, aggregate_id, sequence, owner, created_at) "
        "SELECT 'user', aggregate_id, max(sequence), 'org1', min(created_at) FROM events "
        "GROUP BY aggregate_id");
    tx.commit();
  }
  const auto* users = projections::find_projection("users");
  REQUIRE(users);
  CHECK(projections::replay(conn, *users, {}) == 15000);
  {
    pqxx::read_transaction tx(conn);
    CHECK(tx.exec1("SELECT count(*) FROM users_read_model")[0].as<int>() == 5000 - 715);
    CHECK(tx.exec1("SELECT name FROM users_read_model WHERE id = 'u4999'")[0].as<std::string>() ==
          "n14999");
  }
  CHECK(projections::verify(conn, *users).empty());
}
