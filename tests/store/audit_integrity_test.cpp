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

// A seal made as sealers made them while the bare `tx_id` of their ORDER BY named the
// text output column: their very statement, so the events after the last seal below the
// horizon are digested in text order of transaction ids, the seal's last event the last
// of that order.
domain::Seal seal_in_text_order(pqxx::connection& conn, const std::string& key) {
  std::string horizon;
  {
    pqxx::nontransaction read(conn);
    horizon = eventstore::visibility_horizon(read);
  }
  pqxx::work tx(conn);
  domain::Seal seal;
  seal.id = 1;
  std::string after = "'0'::xid8, 0";
  const auto last = tx.exec(
      "SELECT id, upto_tx::text, upto_position, encode(digest, 'hex') FROM seals "
      "ORDER BY id DESC LIMIT 1");
  if (!last.empty()) {
    seal.id = last[0][0].as<std::uint64_t>() + 1;
    after = tx.quote(last[0][1].as<std::string>()) + "::xid8, " + last[0][2].as<std::string>();
    domain::from_hex(last[0][3].as<std::string>(), seal.prev_digest);
  }
  domain::SealDigest digest(seal.prev_digest, seal.id == 1);
  for (const auto& r : tx.exec(
           "SELECT tx_id::text, position, encode(hash, 'hex') FROM events WHERE (tx_id, position) "
           "> (" +
           after + ") AND tx_id < " + tx.quote(horizon) + "::xid8 ORDER BY tx_id, position")) {
    domain::Hash h{};
    domain::from_hex(r[2].as<std::string>(), h);
    seal.upto_tx = r[0].as<std::uint64_t>();
    seal.upto_position = r[1].as<std::int64_t>();
    digest.add(seal.upto_position, h);
    ++seal.events;
  }
  seal.digest = digest.finish();
  seal.signature_hex = *domain::sign_hex(key, domain::statement(seal));
  tx.exec_params(
      "INSERT INTO seals (id, upto_tx, upto_position, events, prev_digest, digest, signature, "
      "public_key) VALUES ($1, $2::xid8, $3, $4, decode($5, 'hex'), decode($6, 'hex'), $7, $8)",
      static_cast<std::int64_t>(seal.id), std::to_string(seal.upto_tx), seal.upto_position,
      static_cast<std::int64_t>(seal.events), domain::to_hex(seal.prev_digest),
      domain::to_hex(seal.digest), seal.signature_hex, *domain::public_key_pem(key));
  tx.commit();
  return seal;
}

eventstore::VerifyReport verify_signed(const testing::TestDatabase& db, pqxx::connection& conn,
                                       const std::string& key) {
  eventstore::VerifyOptions options;
  options.public_pem = domain::public_key_pem(key);
  options.seal_log = eventstore::stored_seals(conn);
  return eventstore::verify_store(db.url(), options);
}

bool has_note(const eventstore::VerifyReport& r, const std::string& start) {
  return std::any_of(r.notes.begin(), r.notes.end(),
                     [&](const std::string& n) { return n.rfind(start, 0) == 0; });
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

TEST_CASE("verify checks the streams in two halves, and a change in either half is named",
          "[audit]") {
  testing::TestDatabase db;
  pqxx::connection conn(db.url());
  // Four streams: verify splits them at the middle one (u3), each half on its own connection.
  for (const std::string id : {"u1", "u2", "u3", "u4"}) {
    testing::append_committed(
        conn, testing::user_append(id, 0,
                                   {testing::new_event("user.machine.added", {{"name", id}}),
                                    testing::new_event("user.locked")}));
  }
  auto clean = eventstore::verify_store(db.url(), {});
  CHECK_FALSE(clean.failure);
  CHECK(clean.events == 8);  // both halves counted
  CHECK(clean.streams == 4);

  auto tamper = [&](const std::string& id, const std::string& name) {
    pqxx::work tx(conn);
    tx.exec("SET LOCAL session_replication_role = replica");  // past the append-only trigger
    tx.exec("UPDATE events SET payload = jsonb_build_object('name', " + tx.quote(name) +
            ") WHERE aggregate_id = " + tx.quote(id) + " AND sequence = 1");
    tx.commit();
  };
  tamper("u4", "changed");  // the upper half
  auto upper = eventstore::verify_store(db.url(), {});
  REQUIRE(upper.failure);
  CHECK(upper.failure->find("u4") != std::string::npos);
  tamper("u4", "u4");
  CHECK_FALSE(eventstore::verify_store(db.url(), {}).failure);
  tamper("u1", "changed");  // the lower half
  auto lower = eventstore::verify_store(db.url(), {});
  REQUIRE(lower.failure);
  CHECK(lower.failure->find("u1") != std::string::npos);
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
// one crossing serves two databases: one sealed now, one with a seal made as sealers made
// them before.
TEST_CASE("seal, verify and ListEvents take transaction ids as numbers: 999 before 1000",
          "[audit]") {
  testing::TestDatabase db, old_db;
  pqxx::connection conn(db.url()), old_conn(old_db.url());
  const auto key = domain::new_private_key_pem();
  const auto power = users_across_a_power_of_ten({&conn, &old_conn});

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

  // A seal made in text order still holds, with a note.
  {
    const auto total = testing::count_rows(old_conn, "SELECT count(*) FROM events");
    const auto old = seal_in_text_order(old_conn, key);
    // In text order the last event lies below the power of ten; the ones past it are in the
    // seal all the same.
    REQUIRE(old.upto_tx < power);
    REQUIRE(old.events == static_cast<std::uint64_t>(total));

    auto report = verify_signed(old_db, old_conn, key);
    INFO("verify: " << report.failure.value_or("no failure"));
    CHECK_FALSE(report.failure);
    CHECK(report.seals == 1);
    CHECK(report.sealed_events == static_cast<std::uint64_t>(total));
    CHECK(report.unsealed_events == 0);
    CHECK(has_note(report, "seal 1 holds in the order it was made in"));

    // A seal made now starts after the old one's last event, as sealers always did: the
    // events past the power of ten are in both, and counted once.
    testing::append_committed(
        old_conn, testing::user_append("b0", 0, {testing::new_event("user.machine.added")}));
    const auto next = eventstore::seal_now(old_conn, key, true);
    REQUIRE(next);
    CHECK(next->events == static_cast<std::uint64_t>(testing::count_rows(
                              old_conn, "SELECT count(*) FROM events WHERE tx_id > '" +
                                            std::to_string(old.upto_tx) + "'::xid8")));
    report = verify_signed(old_db, old_conn, key);
    INFO("verify: " << report.failure.value_or("no failure"));
    CHECK_FALSE(report.failure);
    CHECK(report.seals == 2);
    CHECK(report.sealed_events == static_cast<std::uint64_t>(total) + 1);
    CHECK(report.unsealed_events == 0);
    CHECK(has_note(report, "seal 1 holds in the order it was made in"));

    // Text order is no way around a seal: an event of the old seal re-inserted altered, its
    // hash recomputed and its head updated (every chain holds), fails the old seal.
    {
      pqxx::work tx(old_conn);
      tx.exec("SET LOCAL session_replication_role = replica");
      const std::string cols =
          "aggregate_type, aggregate_id, sequence, event_type, revision, payload, creator, owner, "
          "created_at, rpc, transport, request_id";
      tx.exec(
          "CREATE TEMP TABLE t AS SELECT * FROM events WHERE aggregate_id = 'a0'; "
          "DELETE FROM events WHERE aggregate_id = 'a0'; "
          "UPDATE t SET payload = '{\"name\": \"forged\"}'; "
          "INSERT INTO events (" +
          cols + ", hash) SELECT " + cols + ", event_hash('\\x'::bytea, " + cols +
          ") FROM t; UPDATE streams SET last_hash = (SELECT hash FROM events WHERE "
          "aggregate_id = 'a0') WHERE aggregate_id = 'a0'");
      tx.commit();
    }
    report = verify_signed(old_db, old_conn, key);
    REQUIRE(report.failure);
    INFO("verify of the forged store: " << *report.failure);
    // Which of the two it says depends on whether the forged events held the seal's last
    // one in text order, which the cluster's transaction ids decide.
    const bool digest_broken = report.failure->rfind("seal 1 (", 0) == 0 &&
                               report.failure->find("does not hold") != std::string::npos;
    const bool last_gone = report.failure->rfind("seal 1: its last event", 0) == 0 &&
                           report.failure->find("not in the store") != std::string::npos;
    CHECK((digest_broken || last_gone));
  }
}
