// The one-statement append (EventStore::append_one) against a real PostgreSQL: the hash it
// computes before the event reaches the database is the one `audit verify` recomputes, a
// head that moved writes nothing, the read models' shares commit with the event, and the
// jsonb text it hashes is PostgreSQL's own.
#include <catch2/catch.hpp>

#include "domain/jsonb_text.hpp"
#include "eventstore/audit_integrity.hpp"
#include "projections/auth_projections.hpp"
#include "projections/registry.hpp"
#include "projections/users_projection.hpp"
#include "store_helpers.hpp"
#include "tests/support/test_database.hpp"

using namespace mu;
using eventstore::EventStore;
using nlohmann::json;

namespace {

eventstore::StreamHead head_of(pqxx::connection& conn, const std::string& id) {
  EventStore store(conn);
  pqxx::read_transaction tx(conn);
  auto head = store.load_head(tx, "user", id);
  REQUIRE(head);
  return *head;
}

// A user created by the transaction path with its read-model row, as a command makes it.
void add_user(pqxx::connection& conn, const std::string& id) {
  EventStore store(conn);
  projections::UsersProjection users(conn);
  pqxx::work tx(conn);
  auto appended = store.append(
      tx, testing::user_append(id, 0,
                               {testing::new_event("user.machine.added",
                                                   {{"userName", id}, {"name", "first"}}, 2)}));
  users.apply_inline(tx, appended.events);
  tx.commit();
}

eventstore::AppendRequest change(const std::string& id, std::uint64_t expected, json payload) {
  auto r = testing::user_append(id, expected,
                                {testing::new_event("user.machine.changed", std::move(payload))});
  r.origin = {"zitadel.management.v1.ManagementService/UpdateMachine", "rest", "req-1"};
  r.snapshot = nlohmann::json{{"sequence", expected + 1}}.dump();
  r.snapshot_revision = 3;
  return r;
}

// A database with user u1 (as a command creates it), the store, and the shares of a change.
struct OneUser {
  testing::TestDatabase db;
  pqxx::connection conn{db.url()};
  EventStore store{conn};
  const eventstore::StatementShares* shares = nullptr;
  OneUser() {
    add_user(conn, "u1");
    shares = projections::statement_shares("user", "user.machine.changed");
    REQUIRE(shares);
  }
};

}  // namespace

TEST_CASE("jsonb text: what domain::jsonb_text prints is what PostgreSQL prints", "[eventstore]") {
  testing::TestDatabase db;
  pqxx::connection conn(db.url());
  pqxx::read_transaction tx(conn);
  for (const auto* text :
       {R"({"name":"Zoë \"q\" \\ / \t\n\r\b\f","description":"","accessTokenType":1})",
        R"({"b":{"zz":[1,-2,true,false,null],"a":{}},"aa":[],"B":"\u0001\u001f\u007f🎉"})",
        R"({"é":1,"e":2,"ee":3,"E":4})", R"("just a string")", R"([{"k":"v"},[]])"}) {
    INFO(text);
    const auto mine = domain::jsonb_text(json::parse(text));
    REQUIRE(mine);
    CHECK(*mine == tx.exec_params1("SELECT $1::jsonb::text", text)[0].as<std::string>());
  }
}

TEST_CASE("append_one: one event, its hash chained as verify recomputes, read models reduced",
          "[eventstore]") {
  OneUser f;
  auto& [db, conn, store, shares] = f;
  CHECK(shares->shares.size() == 1);  // the users read model's; authentication ignores it

  auto head = head_of(conn, "u1");
  auto first = store.append_one(conn, change("u1", 1, {{"name", "Zoë \t\\"}}), head, *shares);
  REQUIRE(first.events.size() == 1);
  CHECK(first.events[0].sequence == 2);
  CHECK(first.events[0].owner == "org1");
  CHECK(first.events[0].position > 0);
  CHECK(first.stream_created_at == domain::from_unix_micros(head.created_us));
  REQUIRE(first.last_hash);

  // The head it leaves is the head the next append starts from.
  head = head_of(conn, "u1");
  CHECK(head.sequence == 2);
  CHECK(head.last_hash == first.last_hash);
  CHECK(head.snapshot == json{{"sequence", 2}});
  const auto second =
      store.append_one(conn, change("u1", 2, {{"description", "d"}}), head, *shares);
  CHECK(second.events[0].sequence == 3);
  CHECK(second.events[0].created_at > first.events[0].created_at);

  pqxx::read_transaction tx(conn);
  const auto row = tx.exec1(
      "SELECT name, description, sequence, position, "
      "(extract(epoch FROM change_date) * 1000000)::bigint FROM users_read_model WHERE id = 'u1'");
  CHECK(row[0].as<std::string>() == "Zoë \t\\");
  CHECK(row[1].as<std::string>() == "d");
  CHECK(row[2].as<long long>() == 3);
  CHECK(row[3].as<long long>() == second.events[0].position);
  CHECK(row[4].as<long long>() == domain::to_unix_micros(second.events[0].created_at));
  const auto stored = tx.exec1(
      "SELECT rpc, transport, request_id FROM events WHERE aggregate_id = 'u1' AND "
      "sequence = 3");
  CHECK(stored[0].as<std::string>() == "zitadel.management.v1.ManagementService/UpdateMachine");
  CHECK(stored[2].as<std::string>() == "req-1");
  tx.commit();

  const auto report = eventstore::verify_store(db.url(), {});
  INFO(report.failure.value_or(""));
  CHECK_FALSE(report.failure);
  CHECK(report.events == 3);
}

TEST_CASE("append_one on a head that moved is a ConcurrencyConflict and writes nothing",
          "[eventstore]") {
  OneUser f;
  auto& [db, conn, store, shares] = f;
  const auto stale = head_of(conn, "u1");
  store.append_one(conn, change("u1", 1, {{"name", "won"}}), stale, *shares);

  // Decided on sequence 1 after the stream moved to 2: refused, nothing written.
  CHECK_THROWS_AS(store.append_one(conn, change("u1", 1, {{"name", "lost"}}), stale, *shares),
                  eventstore::ConcurrencyConflict);
  // The right sequence with another hash (a head rewritten behind the cache's back): refused.
  auto forged = head_of(conn, "u1");
  (*forged.last_hash)[0] ^= 1;
  CHECK_THROWS_AS(store.append_one(conn, change("u1", 2, {{"name", "lost"}}), forged, *shares),
                  eventstore::ConcurrencyConflict);

  CHECK(testing::count_rows(conn, "SELECT count(*) FROM events WHERE aggregate_id = 'u1'") == 2);
  CHECK(testing::count_rows(conn, "SELECT sequence FROM streams WHERE aggregate_id = 'u1'") == 2);
  pqxx::read_transaction tx(conn);
  CHECK(tx.exec1("SELECT name FROM users_read_model WHERE id = 'u1'")[0].as<std::string>() ==
        "won");
}

TEST_CASE("append_one takes only what fits one statement", "[eventstore]") {
  eventstore::StreamHead head;
  head.sequence = 1;
  head.last_hash = domain::Hash{};
  CHECK(EventStore::one_statement_fits(change("u", 1, {{"name", "n"}}), head));
  CHECK_FALSE(EventStore::one_statement_fits(change("u", 2, {{"name", "n"}}), head));  // stale
  CHECK_FALSE(EventStore::one_statement_fits(change("u", 1, {{"n", 1.5}}), head));     // a float
  auto keys = change("u", 1, {{"name", "n"}});
  keys.claim.push_back({"usernames", "o:n"});
  CHECK_FALSE(EventStore::one_statement_fits(keys, head));
  auto two = change("u", 1, {{"name", "n"}});
  two.events.push_back(two.events.front());
  CHECK_FALSE(EventStore::one_statement_fits(two, head));
  auto unhashed = head;
  unhashed.last_hash.reset();
  CHECK_FALSE(EventStore::one_statement_fits(change("u", 1, {{"name", "n"}}), unhashed));
  // New streams, creations and removals go the transaction way.
  CHECK_FALSE(EventStore::one_statement_fits(change("u", 0, {{"name", "n"}}), head));
  CHECK_FALSE(projections::statement_shares("user", "user.machine.added"));
  CHECK_FALSE(projections::statement_shares("user", "user.removed"));
  CHECK_FALSE(projections::statement_shares("org", "org.added"));
  REQUIRE(projections::statement_shares("user", "user.deactivated"));
}

// An issued token's row, written by the one statement's share and by the reducer that replay
// and the transaction path use: the same row, field for field.
TEST_CASE("append_one: a token's issuance writes the row the auth reducer writes", "[eventstore]") {
  testing::TestDatabase db;
  pqxx::connection conn(db.url());
  add_user(conn, "by-share");
  add_user(conn, "by-reducer");
  const auto shares = projections::statement_shares("user", "user.token.v2.added");
  REQUIRE(shares);
  CHECK(shares->shares.size() == 1);  // the auth projection's; the users read model ignores it
  const auto issued = [](const std::string& token_id, const char* type) {
    json payload{{"tokenId", token_id},
                 {"tokenType", type},
                 {"expiration", "2031-02-03T04:05:06Z"},
                 {"audience", {"u", "zitadel"}},
                 {"scopes", {"openid", "urn:zitadel:iam:org:project:id:zitadel:aud"}},
                 {"grant", "client_credentials"}};
    // Hashes are unique in the read model: each token its own.
    if (std::string(type) == "bearer") payload["tokenHash"] = "ab12" + token_id;
    return payload;
  };
  EventStore store(conn);
  for (const auto* type : {"bearer", "jwt"}) {
    INFO(type);
    const std::string token = std::string("t-") + type;
    {  // by the share, in the one statement
      const auto head = head_of(conn, "by-share");
      auto r = testing::user_append(
          "by-share", head.sequence,
          {testing::new_event("user.token.v2.added", issued(token + "-share", type))});
      store.append_one(conn, r, head, *shares);
    }
    {  // by the reducer, in a transaction
      projections::AuthProjections auth(conn);
      const auto head = head_of(conn, "by-reducer");
      pqxx::work tx(conn);
      auto appended = store.append(
          tx, testing::user_append(
                  "by-reducer", head.sequence,
                  {testing::new_event("user.token.v2.added", issued(token + "-reducer", type))}));
      auth.apply_inline(tx, appended.events);
      tx.commit();
    }
    pqxx::read_transaction tx(conn);
    const auto row = [&](const std::string& user, const std::string& id) {
      auto r = tx.exec_params(
          "SELECT t.owner, token_type, token_hash = 'ab12' || t.token_id, expiration, "
          "audience::text, scopes::text, "
          "(extract(epoch FROM t.creation_date) * 1000000)::bigint - "
          "(extract(epoch FROM e.created_at) * 1000000)::bigint, t.sequence - e.sequence "
          "FROM issued_tokens_read_model t JOIN events e ON e.aggregate_id = t.user_id AND "
          "e.event_type = 'user.token.v2.added' AND e.payload->>'tokenId' = t.token_id "
          "WHERE t.user_id = $1 AND t.token_id = $2",
          user, id);
      REQUIRE(r.size() == 1);
      std::vector<std::string> fields;
      for (const auto& f : r[0]) fields.push_back(f.is_null() ? "NULL" : f.c_str());
      return fields;
    };
    const auto shared = row("by-share", token + "-share");
    CHECK(shared == row("by-reducer", token + "-reducer"));
    CHECK(shared[1] == (std::string(type) == "jwt" ? "1" : "0"));
    CHECK(shared[2] == (std::string(type) == "jwt" ? "NULL" : "t"));  // its own hash
    CHECK(shared[6] == "0");                                          // the event's own time
    CHECK(shared[7] == "0");                                          // and sequence
  }
  const auto report = eventstore::verify_store(db.url(), {});
  INFO(report.failure.value_or(""));
  CHECK_FALSE(report.failure);
}
