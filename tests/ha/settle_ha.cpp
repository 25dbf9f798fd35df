// Settling a lost COMMIT across a failover faster than the settle deadline (5 s): the new
// primary never received the transaction, has since given its id to a transaction of its
// own, and says "committed" for it. Settling must not take that for the lost write's
// outcome (a false 200); it finds the write's last event missing and says Aborted. A write
// replicated before the failover is still Committed, and an id the new primary has not handed
// out yet is Aborted (no transaction of this history).
#include <signal.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <thread>

#include <pqxx/pqxx>

#include "app/commands/command_context.hpp"
#include "app/commands/command_settle.hpp"
#include "app/commands/postgres_command_store.hpp"
#include "app/platform/db_session.hpp"
#include "eventstore/migrations.hpp"
#include "tests/store/store_helpers.hpp"
#include "tests/support/ha_cluster.hpp"

using namespace mu;
using mu::testing::HaCluster;
using Clock = std::chrono::steady_clock;
using eventstore::TransactionStatus;
using std::chrono::milliseconds;
using std::chrono::seconds;

namespace {

eventstore::AppendRequest user_added(const std::string& id) {
  auto r = testing::user_append(
      id, 0, {testing::new_event("user.machine.added", {{"userName", id}, {"name", id}}, 2)});
  r.snapshot = nlohmann::json{{"sequence", 1}, {"name", id}}.dump();
  r.snapshot_revision = 7;
  return r;
}

eventstore::Appended committed(commands::PostgresCommandStore& store, const std::string& id) {
  auto tx = store.begin();
  auto appended = tx->append(user_added(id));
  tx->commit();
  REQUIRE(appended.last_hash);
  return appended;
}

// The command core's context on a session of its own, as a worker has one.
struct Settler {
  explicit Settler(const std::string& url) : session(url), store(session) {}
  platform::DbSession session;
  commands::PostgresCommandStore store;
  commands::UserWriteModels users{4};
  commands::AuthCache cache;
  commands::SteadyCommandClock clock;
  commands::CommandContext ctx{store, users, cache, clock};
};

TransactionStatus settle(const std::string& url, const eventstore::Appended& a) {
  Settler s(url);
  const auto& last = a.events.back();
  return commands::settle_commit(s.ctx, last.tx_id, last.aggregate_type, last.aggregate_id,
                                 a.last_hash);
}

}  // namespace

TEST_CASE(
    "settling after a failover faster than the deadline: another transaction's id is not "
    "taken for the lost COMMIT",
    "[ha]") {
  // Asynchronous: the standby can miss a committed transaction, which is how a new primary comes
  // to lack one (with synchronous replication, a COMMIT in doubt is one whose answer was lost).
  HaCluster cluster(HaCluster::Options{2, false});
  cluster.create_database("mu");
  const int old_leader = cluster.leader();
  REQUIRE(old_leader != 0);
  const int standby = old_leader == 1 ? 2 : 1;
  {
    pqxx::connection conn(cluster.node_url(old_leader, "mu"));
    eventstore::migrate(conn, eventstore::embedded_migrations());
  }
  platform::DbSession old_session(cluster.node_url(old_leader, "mu"));
  commands::PostgresCommandStore old_store(old_session);

  const auto kept = committed(old_store, "kept");  // replicated before the failover
  cluster.wait_replayed(old_leader, standby);
  const pid_t receiver = cluster.walreceiver_pid(standby);
  REQUIRE(receiver > 0);
  REQUIRE(::kill(receiver, SIGSTOP) == 0);
  const auto lost = committed(old_store, "lost");    // on the old primary only
  const auto later = committed(old_store, "later");  // so is this, with a higher id
  const std::string old_run = eventstore::server_run(old_session.connection());
  const std::uint64_t lost_id = lost.events.back().tx_id;
  REQUIRE(later.events.back().tx_id > lost_id);

  // The failover: the old primary killed, what the standby had not read dropped with its WAL
  // receiver, and the leader key let go at once instead of after Patroni's ttl.
  const auto failed_at = Clock::now();
  cluster.crash(old_leader);
  ::kill(receiver, SIGKILL);
  cluster.expire_leader();
  while (!cluster.writable(standby)) {
    REQUIRE(Clock::now() - failed_at < seconds(30));
    std::this_thread::sleep_for(milliseconds(50));
  }
  const auto promoted_after = std::chrono::duration<double>(Clock::now() - failed_at).count();
  std::printf("ha: settling: the standby took writes %.2f s after the kill\n", promoted_after);
  // Faster than the settle deadline: a settle loop polling through it would reach the new
  // primary while still asking (the premise of this test).
  CHECK(promoted_after < std::chrono::duration<double>(commands::kInDoubtDeadline).count());

  // The new primary hands out ids again, the lost one included: its own transactions commit.
  {
    pqxx::connection conn(cluster.node_url(standby, "mu"));
    for (int i = 0; i < 100000; ++i) {
      pqxx::nontransaction tx(conn);
      const auto id = tx.exec1("SELECT pg_current_xact_id()::text")[0].as<std::uint64_t>();
      if (id >= lost_id) break;
    }
    {
      pqxx::nontransaction tx(conn);
      // What the id alone says on the new primary: "committed", which is not the lost write.
      CHECK(tx.exec1("SELECT pg_xact_status(" + std::to_string(lost_id) + "::text::xid8)")[0]
                .as<std::string>() == "committed");
    }
    CHECK(testing::count_rows(conn, "SELECT count(*) FROM events WHERE aggregate_id = 'lost'") ==
          0);
  }

  const std::string url = cluster.url("mu");
  CHECK(settle(url, lost) == TransactionStatus::Aborted);
  CHECK(settle(url, later) == TransactionStatus::Aborted);  // an id not handed out yet here
  CHECK(settle(url, kept) == TransactionStatus::Committed);

  // A one-statement append lost on the old primary: its server process's pid may name an
  // unrelated session on the new one, which settling must leave alone.
  pqxx::connection bystander(cluster.node_url(standby, "mu"));
  auto unknown_hash = *lost.last_hash;
  unknown_hash[0] ^= 1;
  const eventstore::LostAppend lost_append(bystander.backendpid(), 2, unknown_hash, old_run);
  {
    Settler s(url);
    CHECK(commands::settle_append(s.ctx, lost_append, "user", "lost") ==
          TransactionStatus::Aborted);
  }
  CHECK_NOTHROW(pqxx::nontransaction(bystander).exec("SELECT 1"));
}
