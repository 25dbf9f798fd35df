// The transaction path's rules, on the in-memory store: a lost race is decided again under
// the head's lock, If-Match and the decision's own refusals write nothing, retries are
// bounded, a taken Idempotency-Key or unique key is answered as such.
#include "app/commands/command_retry_loop.hpp"

#include <catch2/catch.hpp>

#include "app/commands/fake_command_store_test.hpp"

using namespace mu;
using namespace mu::commands;
using namespace mu::commands::testing;

TEST_CASE("command core: a conflict on the first attempt is retried with the head locked",
          "[command]") {
  FakeCommandBench b;
  b.store.add_user("u1", "first");
  // Another writer gets there between the first attempt's read and its append.
  int rivals = 0;
  b.store.rival = [&] {
    if (rivals++ == 0) b.store.write_user("u1", {{"user.machine.changed", 1, {{"name", "rival"}}}});
  };
  std::vector<std::string> seen;
  // Deactivation changes who may call: it takes the transaction path from the start.
  const auto out = run_user_command(b.ctx, user_ref("u1"), [&](const auto& u) {
    seen.push_back(u.name);
    return change_state("u1", domain::Lifecycle::Deactivate)(u);
  });

  REQUIRE(out.ok());
  CHECK(b.store.head_reads_locked == std::vector<bool>{false, true});
  CHECK(b.store.appends == 2);
  CHECK(b.store.commits == 1);
  // Decided by the one-statement path (which leaves such events to the transaction path),
  // by the first attempt, and by the retry on what the rival wrote.
  CHECK(seen == std::vector<std::string>{"first", "first", "rival"});
  REQUIRE(out->events.size() == 1);
  CHECK(out->events[0].sequence == 3);
  CHECK(out->events[0].type == "user.deactivated");
  CHECK(b.store.event_count("u1") == 3);
  CHECK(out->details().sequence == 3);
}

TEST_CASE("command core: If-Match on a stream that moved on is Aborted and nothing is retried",
          "[command]") {
  FakeCommandBench b;
  b.store.add_user("u1", "first");

  SECTION("known at the first read") {
    const auto out = run_user_command(b.ctx, user_ref("u1", 5), rename_to("u1", "x"));
    REQUIRE_FALSE(out.ok());
    CHECK(out.error() == domain::Error{domain::Code::Aborted, "COMMAND-IfMatch",
                                       "the object is at sequence 1, not 5 as If-Match says; "
                                       "read it again"});
    CHECK(b.store.transactions == 1);
    CHECK(b.store.appends + b.store.one_statement_appends == 0);
  }
  SECTION("found on the retry after a lost race") {
    b.store.rival = [&] {
      b.store.rival = nullptr;
      b.store.write_user("u1", {{"user.machine.changed", 1, {{"name", "rival"}}}});
    };
    const auto out = run_user_command(b.ctx, user_ref("u1", 1), rename_to("u1", "x"));
    REQUIRE_FALSE(out.ok());
    CHECK(out.error().code == domain::Code::Aborted);
    CHECK(out.error().id == "COMMAND-IfMatch");
    CHECK(b.store.one_statement_appends == 1);
    CHECK(b.store.transactions == 1);
    CHECK(b.store.appends == 0);
  }
  CHECK(b.store.commits == 0);
  CHECK(b.store.event_count("u1") <= 2);
  CHECK(b.store.stream("u1").events.back().creator != "editor1");
}

TEST_CASE("command core: conflicts on every attempt end in Aborted after kMaxCommandAttempts",
          "[command]") {
  FakeCommandBench b;
  b.store.add_user("u1", "first");
  int rivals = 0;
  b.store.rival = [&] {
    b.store.write_user("u1",
                       {{"user.machine.changed", 1, {{"name", "r" + std::to_string(++rivals)}}}});
  };
  const auto out =
      run_user_command(b.ctx, user_ref("u1"), change_state("u1", domain::Lifecycle::Deactivate));

  REQUIRE_FALSE(out.ok());
  CHECK(out.error() == domain::Error{domain::Code::Aborted, "COMMAND-CONFLICT",
                                     "the object was changed concurrently too often; try again"});
  CHECK(b.store.appends == kMaxCommandAttempts);
  CHECK(b.store.commits == 0);
  CHECK(b.store.event_count("u1") == 1 + static_cast<std::size_t>(kMaxCommandAttempts));
  // Only the first read was optimistic; each lost race was followed by a back-off.
  REQUIRE(b.store.head_reads_locked.size() == static_cast<std::size_t>(kMaxCommandAttempts));
  CHECK_FALSE(b.store.head_reads_locked.front());
  CHECK(std::count(b.store.head_reads_locked.begin(), b.store.head_reads_locked.end(), true) ==
        kMaxCommandAttempts - 1);
  CHECK(b.clock.sleeps == kMaxCommandAttempts);
}

TEST_CASE("command core: an Idempotency-Key that another call committed first is the replay error",
          "[command]") {
  FakeCommandBench b;
  b.store.add_user("u1", "first");
  const api::IdempotencyKey key{"k1", "hash", "UpdateMachine"};

  SECTION("taken: nothing is written") {
    b.store.idempotency_keys.insert({"editor1", "k1"});
    const auto out =
        run_user_command(b.ctx, user_ref("u1", std::nullopt, &key), rename_to("u1", "second"));
    REQUIRE_FALSE(out.ok());
    CHECK(out.error() == domain::Error{domain::Code::Aborted, kIdempotencyReplay,
                                       "another call with this Idempotency-Key committed first"});
    CHECK(b.store.commits == 0);
    CHECK(b.store.event_count("u1") == 1);
  }
  SECTION("free: claimed in the events' transaction") {
    const auto out =
        run_user_command(b.ctx, user_ref("u1", std::nullopt, &key), rename_to("u1", "second"));
    REQUIRE(out.ok());
    CHECK(b.store.idempotency_keys.count({"editor1", "k1"}) == 1);
    CHECK(b.store.commits == 1);
    CHECK(b.store.event_count("u1") == 2);
  }
  // A keyed call never takes the one-statement path, which has no transaction to claim in.
  CHECK(b.store.one_statement_appends == 0);
}

TEST_CASE("command core: a refused decision writes nothing", "[command]") {
  FakeCommandBench b;
  b.store.add_user("u1", "first");
  const domain::Error not_changed{domain::Code::FailedPrecondition, "COMMAND-2n8vs",
                                  "Errors.User.NotChanged"};

  SECTION("decided on a fresh read: answered at once") {
    const auto out = run_user_command(b.ctx, user_ref("u1"), rename_to("u1", "first"));
    REQUIRE_FALSE(out.ok());
    CHECK(out.error() == not_changed);
    CHECK(b.store.transactions == 0);
  }
  SECTION("decided on a cached entry: decided again on the transaction path's read") {
    REQUIRE(run_user_command(b.ctx, user_ref("u1"), rename_to("u1", "second")).ok());
    REQUIRE(b.users.find("u1"));
    std::vector<std::string> seen;
    const auto out = run_user_command(b.ctx, user_ref("u1"), rename_to("u1", "second", &seen));
    REQUIRE_FALSE(out.ok());
    CHECK(out.error() == not_changed);
    CHECK(seen == std::vector<std::string>{"second", "second"});
    CHECK(b.store.transactions == 1);
    CHECK(b.store.commits == 0);
  }
  CHECK(b.store.appends == 0);
  CHECK(b.store.reduced == 0);
  CHECK(b.store.delivered.empty());
}

TEST_CASE("command core: a refusal decided on a stale cached entry is not the answer",
          "[command]") {
  FakeCommandBench b;
  b.store.add_user("u1", "first");
  REQUIRE(run_user_command(b.ctx, user_ref("u1"), rename_to("u1", "second")).ok());
  // Another instance renames the user; this one's cache still says "second".
  b.store.write_user("u1", {{"user.machine.changed", 1, {{"name", "third"}}}});
  std::vector<std::string> seen;
  const auto out = run_user_command(b.ctx, user_ref("u1"), rename_to("u1", "second", &seen));
  REQUIRE(out.ok());
  CHECK(seen == std::vector<std::string>{"second", "third"});
  CHECK(out->events[0].sequence == 4);
  CHECK(out->events[0].payload == nlohmann::json{{"name", "second"}});
}

TEST_CASE("command core: a unique key another stream holds is the stream kind's AlreadyExists",
          "[command]") {
  FakeCommandBench b;
  b.store.unique_keys[{"usernames", domain::user_name_unique_key("org1", "bot")}] = "u-other";
  const auto out = run_user_command(b.ctx, user_ref("u2"), [](const auto& u) {
    return domain::decide(u, domain::AddMachineUser{"u2", "org1", "bot", "Bot", "", {}});
  });
  REQUIRE_FALSE(out.ok());
  CHECK(out.error() ==
        domain::Error{domain::Code::AlreadyExists, "V3-DKcYh", "Errors.User.AlreadyExists"});
  CHECK(b.store.commits == 0);
  CHECK(b.store.event_count("u2") == 0);
}

TEST_CASE("command core: what changes who may call is announced at COMMIT and clears the cache",
          "[command]") {
  FakeCommandBench b;
  b.store.add_user("u1", "first");
  b.auth_cache.remember_org("org1");

  REQUIRE(run_user_command(b.ctx, user_ref("u1"), rename_to("u1", "second")).ok());
  CHECK(b.store.delivered.empty());
  CHECK(b.auth_cache.org_known("org1"));

  REQUIRE(run_user_command(b.ctx, user_ref("u1"), change_state("u1", domain::Lifecycle::Deactivate))
              .ok());
  CHECK(b.store.delivered ==
        std::vector<std::pair<std::string, std::string>>{{kAuthChannel, "u1"}});
  CHECK_FALSE(b.auth_cache.org_known("org1"));
  CHECK(b.store.reduced == 1);  // the rename went through the one statement, not reduce_inline
}

TEST_CASE("command core: a membership decision learns of its user under the user's head lock",
          "[command]") {
  FakeCommandBench b;
  b.store.add_user("u1", "first");
  std::vector<bool> exists;
  const ScopeDecision decide = [&](const domain::MemberScope&, bool member_exists) {
    exists.push_back(member_exists);
    return domain::Result<std::vector<domain::NewEvent>>(
        domain::Error{domain::Code::FailedPrecondition, "TEST-stop", "decided"});
  };
  const StreamRef org{"org1", "org1", "editor1"};

  auto out = run_scope_command(b.ctx, domain::ScopeKind::Org, org, decide, "u1");
  REQUIRE_FALSE(out.ok());
  CHECK(out.error().id == "TEST-stop");
  out = run_scope_command(b.ctx, domain::ScopeKind::Org, org, decide, "nobody");
  CHECK(exists == std::vector<bool>{true, false});
  // The member's head first, locked; then the organization's, optimistic.
  CHECK(b.store.head_reads_locked == std::vector<bool>{true, false, true, false});
  CHECK(b.store.commits == 0);
}
