// Writes whose connection was lost, on the in-memory store and a clock that moves only when
// slept on: answered with what the database holds (committed: success; not committed: the
// transaction path runs the command once), and 503 COMMAND-InDoubt when that cannot be
// learned within kInDoubtDeadline, or at once when the database cannot be reached.
#include "app/commands/command_settle.hpp"

#include <catch2/catch.hpp>

#include "app/commands/fake_command_store_test.hpp"

using namespace mu;
using namespace mu::commands;
using namespace mu::commands::testing;

TEST_CASE("lost one-statement append settled as committed: success with its event", "[command]") {
  FakeCommandBench b;
  b.store.add_user("u1", "first");
  b.store.lose_next_append_one = Lost::AfterWrite;

  const auto out = run_user_command(b.ctx, user_ref("u1"), rename_to("u1", "second"));
  REQUIRE(out.ok());
  CHECK(b.store.event_count("u1") == 2);  // once
  CHECK(b.store.transactions == 0);
  CHECK(b.store.reconnects == 1);
  const auto& stored = b.store.stream("u1").events;
  REQUIRE(out->events.size() == 1);
  CHECK(out->events[0].sequence == 2);
  CHECK(out->events[0].position == stored.back().position);
  CHECK(out->details().change_date == stored.back().created_at);
  CHECK(out->details().creation_date == stored.front().created_at);
  CHECK(out->details().resource_owner == "org1");
  // Its outcome was in doubt: the cache does not guess it.
  CHECK_FALSE(b.users.find("u1"));
}

TEST_CASE("lost one-statement append settled as absent: the transaction path runs it",
          "[command]") {
  FakeCommandBench b;
  b.store.add_user("u1", "first");
  b.store.lose_next_append_one = Lost::BeforeWrite;

  const auto out = run_user_command(b.ctx, user_ref("u1"), rename_to("u1", "second"));
  REQUIRE(out.ok());
  CHECK(out->events[0].sequence == 2);
  CHECK(b.store.event_count("u1") == 2);  // once
  CHECK(b.store.transactions == 1);
  CHECK(b.store.commits == 1);
  CHECK(b.store.stream("u1").events.back().payload == nlohmann::json{{"name", "second"}});
}

TEST_CASE("lost one-statement append unknown until the deadline: 503 COMMAND-InDoubt",
          "[command]") {
  FakeCommandBench b;
  b.store.add_user("u1", "first");
  b.store.lose_next_append_one = Lost::AfterWrite;
  b.store.backend_stays = true;  // the process that ran it never goes: absence is never final

  const auto out = run_user_command(b.ctx, user_ref("u1"), rename_to("u1", "second"));
  REQUIRE_FALSE(out.ok());
  CHECK(out.error() ==
        domain::Error{domain::Code::Unavailable, "COMMAND-InDoubt",
                      "the database connection was lost while the write was under way and its "
                      "outcome is unknown; read the object to see whether it was applied, or "
                      "retry with an Idempotency-Key"});
  CHECK(b.clock.elapsed() >= kInDoubtDeadline);
  CHECK(b.clock.elapsed() < kInDoubtDeadline + std::chrono::milliseconds(100));
  CHECK(b.store.status_questions > 50);  // asked again and again meanwhile
  CHECK(b.store.transactions == 0);
}

TEST_CASE("lost write while the database cannot be reached: 503 at once", "[command]") {
  FakeCommandBench b;
  b.store.add_user("u1", "first");
  b.store.unreachable = true;

  SECTION("one-statement append") {
    b.store.lose_next_append_one = Lost::BeforeWrite;
    const auto out = run_user_command(b.ctx, user_ref("u1"), rename_to("u1", "second"));
    REQUIRE_FALSE(out.ok());
    CHECK(out.error().id == "COMMAND-InDoubt");
  }
  SECTION("COMMIT") {
    b.store.lose_next_commit = Lost::BeforeWrite;
    const auto out =
        run_user_command(b.ctx, user_ref("u1"), change_state("u1", domain::Lifecycle::Deactivate));
    REQUIRE_FALSE(out.ok());
    CHECK(out.error().id == "COMMAND-InDoubt");
  }
  CHECK(b.store.reconnects == 1);
  CHECK(b.store.status_questions == 0);
  CHECK(b.clock.elapsed() == std::chrono::steady_clock::duration::zero());
}

TEST_CASE("lost COMMIT settled by its transaction id", "[command]") {
  FakeCommandBench b;
  b.store.add_user("u1", "first");
  b.auth_cache.remember_org("org1");
  const auto deactivate = change_state("u1", domain::Lifecycle::Deactivate);

  SECTION("committed: answered as if COMMIT had") {
    b.store.lose_next_commit = Lost::AfterWrite;
    const auto out = run_user_command(b.ctx, user_ref("u1"), deactivate);
    REQUIRE(out.ok());
    CHECK(out->events[0].sequence == 2);
    CHECK(out->details().change_date == b.store.stream("u1").events.back().created_at);
    CHECK(b.store.transactions == 1);
    CHECK_FALSE(b.auth_cache.org_known("org1"));  // what it changed is forgotten
  }
  SECTION("aborted: run again, once") {
    b.store.lose_next_commit = Lost::BeforeWrite;
    const auto out = run_user_command(b.ctx, user_ref("u1"), deactivate);
    REQUIRE(out.ok());
    CHECK(out->events[0].sequence == 2);
    CHECK(b.store.transactions == 2);
    // Like every attempt after the first, the second reads the head under its lock.
    CHECK(b.store.head_reads_locked == std::vector<bool>{false, true});
  }
  CHECK(b.store.event_count("u1") == 2);
  CHECK(b.store.commits == 1);
  CHECK(b.store.reconnects == 1);
}

TEST_CASE("lost COMMIT whose id another history committed: run again, never a false success",
          "[command]") {
  // After a failover the server the new connection reaches may have given the id to a
  // transaction of its own and say "committed": without the event, that is not this write.
  FakeCommandBench b;
  b.store.add_user("u1", "first");
  b.store.lose_next_commit = Lost::BeforeWrite;
  b.store.forced_status = eventstore::TransactionStatus::Committed;
  const auto out =
      run_user_command(b.ctx, user_ref("u1"), change_state("u1", domain::Lifecycle::Deactivate));
  REQUIRE(out.ok());
  CHECK(b.store.transactions == 2);  // the id's "committed" was not taken: run again
  CHECK(b.store.commits == 1);
  CHECK(b.store.event_count("u1") == 2);
}

TEST_CASE("lost COMMIT unknown until the deadline: 503 COMMAND-InDoubt", "[command]") {
  FakeCommandBench b;
  b.store.add_user("u1", "first");
  b.store.lose_next_commit = Lost::AfterWrite;
  const domain::Error in_doubt{
      domain::Code::Unavailable, "COMMAND-InDoubt",
      "the database connection was lost during COMMIT and the outcome of the write is unknown; a "
      "retry with the same Idempotency-Key is safe"};

  SECTION("still in progress at every question") {
    b.store.forced_status = eventstore::TransactionStatus::InProgress;
    const auto out =
        run_user_command(b.ctx, user_ref("u1"), change_state("u1", domain::Lifecycle::Deactivate));
    REQUIRE_FALSE(out.ok());
    CHECK(out.error() == in_doubt);
    CHECK(b.clock.elapsed() >= kInDoubtDeadline);
    CHECK(b.clock.elapsed() < kInDoubtDeadline + std::chrono::milliseconds(100));
    CHECK(b.store.status_questions > 50);
  }
  SECTION("too old for the database to remember") {
    b.store.forced_status = eventstore::TransactionStatus::Unknown;
    const auto out =
        run_user_command(b.ctx, user_ref("u1"), change_state("u1", domain::Lifecycle::Deactivate));
    REQUIRE_FALSE(out.ok());
    CHECK(out.error() == in_doubt);
    CHECK(b.store.status_questions == 1);
  }
  CHECK(b.store.transactions == 1);
}
