// The one-statement path, on the in-memory store: a cached write model costs no read, a
// stale one costs a conflict and a locked decision on the transaction path (never a lost
// update), and what it cannot take goes the transaction way.
#include "app/commands/command_one_statement.hpp"

#include <catch2/catch.hpp>

#include "app/commands/fake_command_store_test.hpp"

using namespace mu;
using namespace mu::commands;
using namespace mu::commands::testing;

TEST_CASE("one-statement path: a cached write model decides without a read", "[command]") {
  FakeCommandBench b;
  b.store.add_user("u1", "first");

  REQUIRE(run_user_command(b.ctx, user_ref("u1"), rename_to("u1", "second")).ok());
  CHECK(b.store.autocommit_head_reads == 1);  // not cached yet
  const auto cached = b.users.find("u1");
  REQUIRE(cached);
  CHECK(cached->head.sequence == 2);
  CHECK(cached->state.name == "second");

  std::vector<std::string> seen;
  const auto out = run_user_command(b.ctx, user_ref("u1"), rename_to("u1", "third", &seen));
  REQUIRE(out.ok());
  CHECK(seen == std::vector<std::string>{"second"});
  CHECK(b.store.autocommit_head_reads == 1);
  CHECK(b.store.transactions == 0);
  CHECK(b.store.one_statement_appends == 2);
  REQUIRE(out->events.size() == 1);
  CHECK(out->events[0].sequence == 3);
  CHECK(out->details().creation_date == b.store.stream("u1").events.front().created_at);
  CHECK(out->details().change_date == b.store.stream("u1").events.back().created_at);
  CHECK(b.users.find("u1")->head.sequence == 3);
  CHECK(b.users.find("u1")->head.last_hash == b.store.stream("u1").head.last_hash);
}

TEST_CASE("one-statement path: a head that moved drops the entry and the transaction path decides",
          "[command]") {
  FakeCommandBench b;
  b.store.add_user("u1", "first");
  REQUIRE(run_user_command(b.ctx, user_ref("u1"), rename_to("u1", "second")).ok());
  std::vector<std::string> seen;

  SECTION("and writes") {
    // Another instance writes: this one's cache still has sequence 2.
    b.store.write_user("u1", {{"user.machine.changed", 1, {{"description", "theirs"}}}});
    const auto out = run_user_command(b.ctx, user_ref("u1"), rename_to("u1", "mine", &seen));
    REQUIRE(out.ok());
    CHECK(out->events[0].sequence == 4);
    // The transaction path read the head under its lock at once, and decided on it.
    CHECK(b.store.head_reads_locked == std::vector<bool>{true});
    REQUIRE(seen.size() == 2);
    CHECK(b.store.stream("u1").events.back().payload ==
          nlohmann::json{{"name", "mine"}, {"description", ""}});
    // What it committed is the cache's entry now.
    REQUIRE(b.users.find("u1"));
    CHECK(b.users.find("u1")->head.sequence == 4);
  }
  SECTION("or refuses: the stale entry is gone") {
    b.store.write_user("u1", {{"user.machine.changed", 1, {{"name", "mine"}}}});
    const auto out = run_user_command(b.ctx, user_ref("u1"), rename_to("u1", "mine", &seen));
    REQUIRE_FALSE(out.ok());
    CHECK(out.error().id == "COMMAND-2n8vs");
    CHECK(seen == std::vector<std::string>{"second", "mine"});
    CHECK_FALSE(b.users.find("u1"));
    CHECK(b.store.event_count("u1") == 3);
  }
  CHECK(b.store.one_statement_appends == 2);
  CHECK(b.store.transactions == 1);
}

TEST_CASE("one-statement path: what it cannot take goes the transaction way", "[command]") {
  FakeCommandBench b;
  b.store.add_user("u1", "first");
  const api::IdempotencyKey key{"k1", "hash", "UpdateMachine"};

  SECTION("a keyed call") {
    REQUIRE(run_user_command(b.ctx, user_ref("u1", std::nullopt, &key), rename_to("u1", "x")).ok());
  }
  SECTION("an event that changes who may call") {
    REQUIRE(
        run_user_command(b.ctx, user_ref("u1"), change_state("u1", domain::Lifecycle::Lock)).ok());
  }
  SECTION("a new stream") {
    REQUIRE(run_user_command(b.ctx, user_ref("u2"), [](const auto& u) {
              return domain::decide(u, domain::AddMachineUser{"u2", "org1", "u2", "U2", "", {}});
            }).ok());
  }
  SECTION("two events") {
    REQUIRE(run_user_command(b.ctx, user_ref("u1"), [](const domain::MachineUser&) {
              return domain::Result<std::vector<domain::NewEvent>>(
                  std::vector<domain::NewEvent>{{"user.machine.changed", 1, {{"name", "a"}}},
                                                {"user.machine.changed", 1, {{"name", "b"}}}});
            }).ok());
  }
  CHECK(b.store.one_statement_appends == 0);
  CHECK(b.store.commits == 1);
}

TEST_CASE("one-statement path: If-Match not at the cached sequence is decided on a fresh read",
          "[command]") {
  FakeCommandBench b;
  b.store.add_user("u1", "first");
  REQUIRE(run_user_command(b.ctx, user_ref("u1"), rename_to("u1", "second")).ok());
  b.store.write_user("u1", {{"user.machine.changed", 1, {{"description", "theirs"}}}});

  // The caller saw sequence 3, which the cache (at 2) has not.
  const auto out = run_user_command(b.ctx, user_ref("u1", 3), rename_to("u1", "third"));
  REQUIRE(out.ok());
  CHECK(out->events[0].sequence == 4);
  CHECK(b.store.one_statement_appends == 1);
  CHECK(b.store.commits == 1);
}
