// The authentication read models (orgs, members, pats, machine keys and secrets), the
// one-query token lookup and the credential reads: events appended with the real event store
// in, rows out.
#include <chrono>
#include <set>
#include <thread>

#include <catch2/catch.hpp>

#include "domain/base64url.hpp"
#include "domain/sha256.hpp"
#include "eventstore/event_store.hpp"
#include "projections/auth_projections.hpp"
#include "projections/machine_credentials.hpp"
#include "projections/rebuild.hpp"
#include "projections/registry.hpp"
#include "projections/token_lookup.hpp"
#include "projections/users_projection.hpp"
#include "store_helpers.hpp"
#include "tests/support/test_database.hpp"

using namespace mu;
using domain::Membership;
using domain::Role;
using projections::AuthProjections;
using projections::TokenLookup;

namespace {

// Appends to a stream and projects (users and auth) in one transaction, as a command does.
std::vector<domain::StoredEvent> record(pqxx::connection& conn, const std::string& type,
                                        const std::string& id, std::vector<domain::NewEvent> events,
                                        const std::string& owner = "o1") {
  eventstore::EventStore store(conn);
  projections::UsersProjection users(conn);
  AuthProjections auth(conn);
  pqxx::work tx(conn);
  const auto head = store.load_head(tx, type, id);
  auto request = testing::user_append(id, head ? head->sequence : 0, std::move(events), owner);
  request.aggregate_type = type;
  const auto stored = store.append(tx, request).events;
  users.apply(tx, stored);
  auth.apply(tx, stored);
  tx.commit();
  return stored;
}

std::vector<domain::StoredEvent> org_event(pqxx::connection& conn, const std::string& org,
                                           const std::string& type, nlohmann::json payload) {
  return record(conn, "org", org, {testing::new_event(type, std::move(payload))}, org);
}

std::vector<domain::StoredEvent> instance_event(pqxx::connection& conn, const std::string& type,
                                                nlohmann::json payload) {
  return record(conn, "instance", "default", {testing::new_event(type, std::move(payload))}, "");
}

std::vector<domain::StoredEvent> user_event(pqxx::connection& conn, const std::string& user,
                                            const std::string& type,
                                            nlohmann::json payload = nlohmann::json::object()) {
  return record(conn, "user", user, {testing::new_event(type, std::move(payload))}, "o1");
}

std::vector<domain::StoredEvent> add_user(pqxx::connection& conn, const std::string& user) {
  return user_event(conn, user, "user.machine.added", {{"userName", user}, {"name", "Robot"}});
}

nlohmann::json member(const std::string& user, std::vector<std::string> roles) {
  return {{"userId", user}, {"roles", roles}};
}

// user.machine.key.added as the domain writes it: the PEM in base64.
nlohmann::json key_added(const std::string& key_id,
                         const std::string& expiration = "9999-12-31T23:59:59Z") {
  return {{"keyId", key_id},
          {"type", 1},
          {"expirationDate", expiration},
          {"publicKey", domain::base64_encode("-----BEGIN PUBLIC KEY-----\n" + key_id + "\n")}};
}

nlohmann::json pat(const std::string& token_id, const std::string& hash,
                   const std::string& expiration = "2030-01-02T03:04:05.123456Z") {
  return {{"tokenId", token_id}, {"expiration", expiration}, {"tokenHash", hash}};
}

std::optional<projections::OrgView> find_org(pqxx::connection& conn, const std::string& id) {
  AuthProjections auth(conn);
  pqxx::read_transaction tx(conn);
  return auth.find_org(tx, id);
}

std::optional<projections::OrgView> find_org_by_name(pqxx::connection& conn,
                                                     const std::string& name) {
  AuthProjections auth(conn);
  pqxx::read_transaction tx(conn);
  return auth.find_org_by_name(tx, name);
}

std::vector<Membership> memberships_of(pqxx::connection& conn, const std::string& user) {
  AuthProjections auth(conn);
  pqxx::read_transaction tx(conn);
  return auth.memberships_of(tx, user);
}

std::optional<projections::TokenGrant> lookup(pqxx::connection& conn, const std::string& hash) {
  TokenLookup tokens(conn);
  pqxx::read_transaction tx(conn);
  return tokens.find(tx, hash);
}

// The read models as text, to compare their whole contents.
std::string dump_read_models(pqxx::connection& conn) {
  pqxx::read_transaction tx(conn);
  std::string out;
  for (const char* sql : {"SELECT o::text FROM orgs_read_model o ORDER BY id",
                          "SELECT m::text FROM members_read_model m ORDER BY scope, user_id",
                          "SELECT p::text FROM pats_read_model p ORDER BY token_hash",
                          "SELECT k::text FROM machine_keys_read_model k ORDER BY user_id, id",
                          "SELECT s::text FROM machine_secrets_read_model s ORDER BY user_id"}) {
    for (const auto& row : tx.exec(sql)) out += row[0].as<std::string>() + "\n";
    out += "--\n";
  }
  return out;
}

std::int64_t checkpoint(pqxx::connection& conn, const std::string& projection) {
  pqxx::read_transaction tx(conn);
  return tx.exec_params1("SELECT position FROM current_states WHERE projection = $1", projection)[0]
      .as<std::int64_t>();
}

domain::Timestamp at(const char* rfc3339) {
  const auto t = domain::parse_rfc3339(rfc3339);
  REQUIRE(t);
  return *t;
}

}  // namespace

TEST_CASE("org.added makes an org row, found by id and by name in any ASCII case",
          "[projection][auth]") {
  testing::TestDatabase db;
  pqxx::connection conn(db.url());
  const auto added = org_event(conn, "o1", "org.added", {{"name", "Acme Corp"}});
  org_event(conn, "o2", "org.added", {{"name", "\xC3\x84rger GmbH"}});  // "Ärger GmbH"

  const auto org = find_org(conn, "o1");
  REQUIRE(org);
  const projections::OrgView expected{
      "o1", "Acme Corp", added[0].created_at, added[0].created_at, 1, added[0].position};
  CHECK(*org == expected);
  CHECK(find_org_by_name(conn, "acme CORP") == expected);
  CHECK(find_org_by_name(conn, "Acme Corp") == expected);
  CHECK_FALSE(find_org_by_name(conn, "Acme"));
  CHECK_FALSE(find_org(conn, "nope"));
  // Only ASCII letters fold, like the domain's unique org-name keys.
  CHECK(find_org_by_name(conn, "\xC3\x84RGER gmbh"));
  CHECK_FALSE(find_org_by_name(conn, "\xC3\xA4rger GmbH"));  // "ärger GmbH"
}

TEST_CASE("org member events add, change and remove a membership in the org",
          "[projection][auth]") {
  testing::TestDatabase db;
  pqxx::connection conn(db.url());
  org_event(conn, "o1", "org.added", {{"name", "Acme"}});

  const auto added = org_event(conn, "o1", "org.member.added", member("u1", {"ORG_OWNER"}));
  CHECK(memberships_of(conn, "u1") == std::vector<Membership>{{"o1", {Role::OrgOwner}}});
  {
    pqxx::read_transaction tx(conn);
    const auto row = tx.exec1(
        "SELECT scope, roles::text, sequence, creation_date = change_date FROM "
        "members_read_model WHERE user_id = 'u1'");
    CHECK(row[0].as<std::string>() == "o1");
    CHECK(row[1].as<std::string>() == "{ORG_OWNER}");
    CHECK(row[2].as<int>() == 2);  // the org stream's sequence
    CHECK(row[3].as<bool>());
  }

  org_event(conn, "o1", "org.member.changed", member("u1", {"ORG_USER_MANAGER", "ORG_OWNER"}));
  CHECK(memberships_of(conn, "u1") ==
        std::vector<Membership>{{"o1", {Role::OrgUserManager, Role::OrgOwner}}});
  CHECK(testing::count_rows(conn,
                            "SELECT count(*) FROM members_read_model WHERE sequence = 3 AND "
                            "change_date > creation_date") == 1);

  org_event(conn, "o1", "org.member.removed", {{"userId", "u1"}});
  CHECK(memberships_of(conn, "u1").empty());
  CHECK(testing::count_rows(conn, "SELECT count(*) FROM members_read_model") == 0);
  CHECK(added[0].sequence == 2);
}

TEST_CASE("instance member events hold memberships of the scope 'instance'", "[projection][auth]") {
  testing::TestDatabase db;
  pqxx::connection conn(db.url());
  instance_event(conn, "instance.member.added", member("u1", {"IAM_OWNER"}));
  CHECK(memberships_of(conn, "u1") == std::vector<Membership>{{"instance", {Role::IamOwner}}});

  instance_event(conn, "instance.member.changed", member("u1", {"IAM_OWNER", "ORG_OWNER"}));
  CHECK(memberships_of(conn, "u1") ==
        std::vector<Membership>{{"instance", {Role::IamOwner, Role::OrgOwner}}});

  instance_event(conn, "instance.member.removed", {{"userId", "u1"}});
  CHECK(memberships_of(conn, "u1").empty());
}

TEST_CASE("memberships_of lists every scope and skips role names it does not know",
          "[projection][auth]") {
  testing::TestDatabase db;
  pqxx::connection conn(db.url());
  org_event(conn, "o2", "org.member.added", member("u1", {"NOT_A_ROLE", "ORG_USER_MANAGER"}));
  org_event(conn, "o1", "org.member.added", member("u1", {"ORG_OWNER"}));
  org_event(conn, "o1", "org.member.added", member("u2", {"ORG_OWNER"}));
  instance_event(conn, "instance.member.added", member("u1", {"IAM_OWNER"}));

  CHECK(memberships_of(conn, "u1") == std::vector<Membership>{{"instance", {Role::IamOwner}},
                                                              {"o1", {Role::OrgOwner}},
                                                              {"o2", {Role::OrgUserManager}}});
  CHECK(memberships_of(conn, "nobody").empty());
}

TEST_CASE("PAT events add and delete token rows", "[projection][auth]") {
  testing::TestDatabase db;
  pqxx::connection conn(db.url());
  add_user(conn, "u1");
  const auto added = user_event(conn, "u1", "user.personal.access.token.added", pat("t1", "aa11"));
  user_event(conn, "u1", "user.personal.access.token.added", pat("t2", "bb22"));
  {
    pqxx::read_transaction tx(conn);
    const auto row = tx.exec1(
        "SELECT token_id, user_id, (extract(epoch FROM expiration) * 1000000)::bigint, "
        "(extract(epoch FROM creation_date) * 1000000)::bigint, sequence "
        "FROM pats_read_model WHERE token_hash = 'aa11'");
    CHECK(row[0].as<std::string>() == "t1");
    CHECK(row[1].as<std::string>() == "u1");
    CHECK(row[2].as<long long>() == domain::to_unix_micros(at("2030-01-02T03:04:05.123456Z")));
    CHECK(row[3].as<long long>() == domain::to_unix_micros(added[0].created_at));
    CHECK(row[4].as<int>() == 2);
  }

  user_event(conn, "u1", "user.personal.access.token.removed", {{"tokenId", "t1"}});
  pqxx::read_transaction tx(conn);
  const auto left = tx.exec("SELECT token_id FROM pats_read_model");
  REQUIRE(left.size() == 1);
  CHECK(left[0][0].as<std::string>() == "t2");
}

TEST_CASE(
    "user.removed deletes the user's tokens and memberships, and a re-added id gets none back",
    "[projection][auth]") {
  testing::TestDatabase db;
  pqxx::connection conn(db.url());
  add_user(conn, "u1");
  add_user(conn, "u2");
  user_event(conn, "u1", "user.personal.access.token.added", pat("t1", "aa11"));
  user_event(conn, "u2", "user.personal.access.token.added", pat("t2", "bb22"));
  org_event(conn, "o1", "org.member.added", member("u1", {"ORG_OWNER"}));
  org_event(conn, "o2", "org.member.added", member("u1", {"ORG_OWNER"}));
  org_event(conn, "o1", "org.member.added", member("u2", {"ORG_OWNER"}));
  instance_event(conn, "instance.member.added", member("u1", {"IAM_OWNER"}));
  REQUIRE(memberships_of(conn, "u1").size() == 3);

  user_event(conn, "u1", "user.removed");
  CHECK(memberships_of(conn, "u1").empty());
  CHECK(testing::count_rows(conn, "SELECT count(*) FROM pats_read_model WHERE user_id = 'u1'") ==
        0);
  CHECK_FALSE(lookup(conn, "aa11"));
  // Another user keeps everything.
  CHECK(memberships_of(conn, "u2") == std::vector<Membership>{{"o1", {Role::OrgOwner}}});
  CHECK(lookup(conn, "bb22"));

  // The same id added again starts with no grants and no tokens.
  add_user(conn, "u1");
  CHECK(memberships_of(conn, "u1").empty());
  CHECK_FALSE(lookup(conn, "aa11"));
}

TEST_CASE("auth read models: re-applying events is harmless and a reset replay rebuilds them",
          "[projection][auth]") {
  testing::TestDatabase db;
  pqxx::connection conn(db.url());
  org_event(conn, "o1", "org.added", {{"name", "Acme"}});
  org_event(conn, "o2", "org.added", {{"name", "Beta"}});
  add_user(conn, "u1");
  add_user(conn, "u2");
  org_event(conn, "o1", "org.member.added", member("u1", {"ORG_OWNER"}));
  org_event(conn, "o1", "org.member.changed", member("u1", {"ORG_USER_MANAGER"}));
  org_event(conn, "o2", "org.member.added", member("u1", {"ORG_OWNER"}));
  org_event(conn, "o2", "org.member.removed", {{"userId", "u1"}});
  org_event(conn, "o2", "org.member.added", member("u2", {"ORG_OWNER"}));
  instance_event(conn, "instance.member.added", member("u2", {"IAM_OWNER"}));
  user_event(conn, "u1", "user.personal.access.token.added", pat("t1", "aa11"));
  user_event(conn, "u1", "user.personal.access.token.added", pat("t2", "bb22"));
  user_event(conn, "u1", "user.personal.access.token.removed", {{"tokenId", "t1"}});
  user_event(conn, "u2", "user.personal.access.token.added", pat("t3", "cc33"));
  user_event(conn, "u1", "user.machine.key.added", key_added("k1"));
  user_event(conn, "u1", "user.machine.key.added", key_added("k2"));
  user_event(conn, "u1", "user.machine.key.removed", {{"keyId", "k1"}});
  user_event(conn, "u2", "user.machine.key.added", key_added("k3"));
  user_event(conn, "u1", "user.machine.secret.set", {{"hashedSecret", "sha256$first"}});
  user_event(conn, "u1", "user.machine.secret.set", {{"hashedSecret", "sha256$second"}});
  user_event(conn, "u2", "user.machine.secret.set", {{"hashedSecret", "sha256$u2"}});
  user_event(conn, "u2", "user.removed");
  const auto before = dump_read_models(conn);
  REQUIRE(before.find("ORG_USER_MANAGER") != std::string::npos);
  REQUIRE(before.find("bb22") != std::string::npos);
  REQUIRE(before.find("sha256$second") != std::string::npos);
  REQUIRE(before.find("(u1,k2,o1,1,") != std::string::npos);

  eventstore::EventStore store(conn);
  AuthProjections auth(conn);
  std::vector<domain::StoredEvent> all;
  {
    pqxx::read_transaction tx(conn);
    all = store.read_after(tx, 0, 1000);
  }
  REQUIRE(all.size() == 22);

  SECTION("every event again, and twice the same event in a row") {
    pqxx::work tx(conn);
    auth.apply(tx, all);
    auth.apply(tx, all);
    tx.commit();
    CHECK(dump_read_models(conn) == before);
  }
  SECTION("reset, then one replay") {
    pqxx::work tx(conn);
    auth.reset(tx);
    tx.commit();
    CHECK(dump_read_models(conn) == "--\n--\n--\n--\n--\n");
    pqxx::work replay(conn);
    auth.apply(replay, all);
    replay.commit();
    CHECK(dump_read_models(conn) == before);
  }
}

TEST_CASE("apply advances current_states of the auth read models, and reset zeroes them",
          "[projection][auth]") {
  testing::TestDatabase db;
  pqxx::connection conn(db.url());
  const auto kAuthRows = {"orgs", "members", "pats", "machine_keys", "machine_secrets"};
  for (const char* p : kAuthRows) CHECK(checkpoint(conn, p) == 0);

  org_event(conn, "o1", "org.added", {{"name", "Acme"}});
  const auto last = org_event(conn, "o1", "org.member.added", member("u1", {"ORG_OWNER"}));
  for (const char* p : kAuthRows) CHECK(checkpoint(conn, p) == last[0].position);

  AuthProjections auth(conn);
  {
    pqxx::work tx(conn);
    auth.reset(tx);
    tx.commit();
  }
  for (const char* p : kAuthRows) CHECK(checkpoint(conn, p) == 0);
  CHECK(testing::count_rows(conn, "SELECT count(*) FROM orgs_read_model") == 0);
  CHECK(testing::count_rows(conn, "SELECT count(*) FROM members_read_model") == 0);

  // The inline checkpoint moves them all to the last visible event.
  {
    pqxx::work tx(conn);
    auth.record_inline_checkpoint(tx);
    tx.commit();
  }
  for (const char* p : kAuthRows) CHECK(checkpoint(conn, p) == last[0].position);
  CHECK(checkpoint(conn, "users") == last[0].position);  // users keeps its own row
}

TEST_CASE("a token's grant carries its user, its state, its expiration and every membership",
          "[projection][auth][token]") {
  testing::TestDatabase db;
  pqxx::connection conn(db.url());
  add_user(conn, "u1");
  user_event(conn, "u1", "user.personal.access.token.added",
             pat("t1", "ab12", "2031-05-06T07:08:09.500+02:00"));
  org_event(conn, "o1", "org.member.added", member("u1", {"ORG_OWNER"}));
  org_event(conn, "o2", "org.member.added", member("u1", {"ORG_USER_MANAGER", "ORG_OWNER"}));
  instance_event(conn, "instance.member.added", member("u1", {"IAM_OWNER"}));
  org_event(conn, "o1", "org.member.added", member("u2", {"ORG_OWNER"}));  // not u1's

  const auto grant = lookup(conn, "ab12");
  REQUIRE(grant);
  const projections::TokenGrant expected{"t1",
                                         "u1",
                                         "o1",
                                         domain::UserState::Active,
                                         at("2031-05-06T05:08:09.500Z"),
                                         {{"instance", {Role::IamOwner}},
                                          {"o1", {Role::OrgOwner}},
                                          {"o2", {Role::OrgUserManager, Role::OrgOwner}}}};
  CHECK(*grant == expected);

  // State and expiration are returned, not judged.
  user_event(conn, "u1", "user.locked");
  user_event(conn, "u1", "user.personal.access.token.added",
             pat("t2", "cd34", "2001-01-01T00:00:00Z"));
  const auto locked = lookup(conn, "ab12");
  REQUIRE(locked);
  CHECK(locked->user_state == domain::UserState::Locked);
  const auto expired = lookup(conn, "cd34");
  REQUIRE(expired);
  CHECK(expired->token_id == "t2");
  CHECK(expired->expiration == at("2001-01-01T00:00:00Z"));
  CHECK(expired->memberships.size() == 3);
}

TEST_CASE("a token of a user without memberships has none", "[projection][auth][token]") {
  testing::TestDatabase db;
  pqxx::connection conn(db.url());
  add_user(conn, "u1");
  user_event(conn, "u1", "user.personal.access.token.added", pat("t1", "ab12"));
  const auto grant = lookup(conn, "ab12");
  REQUIRE(grant);
  CHECK(grant->memberships.empty());
}

TEST_CASE("no grant for an unknown hash, a revoked token, a removed or unknown user",
          "[projection][auth][token]") {
  testing::TestDatabase db;
  pqxx::connection conn(db.url());
  add_user(conn, "u1");
  user_event(conn, "u1", "user.personal.access.token.added", pat("t1", "aa11"));
  user_event(conn, "u1", "user.personal.access.token.added", pat("t2", "bb22"));
  org_event(conn, "o1", "org.member.added", member("u1", {"ORG_OWNER"}));
  REQUIRE(lookup(conn, "aa11"));
  REQUIRE(lookup(conn, "bb22"));

  CHECK_FALSE(lookup(conn, "ffff"));
  CHECK_FALSE(lookup(conn, ""));
  CHECK_FALSE(lookup(conn, "AA11"));  // hashes are compared as stored (lower-case hex)

  user_event(conn, "u1", "user.personal.access.token.removed", {{"tokenId", "t1"}});
  CHECK_FALSE(lookup(conn, "aa11"));
  CHECK(lookup(conn, "bb22"));

  user_event(conn, "u1", "user.removed");
  CHECK_FALSE(lookup(conn, "bb22"));

  // A token whose user never reached the users read model does not authenticate.
  user_event(conn, "ghost", "user.personal.access.token.added", pat("t3", "cc33"));
  CHECK(testing::count_rows(conn, "SELECT count(*) FROM pats_read_model WHERE token_id = 't3'") ==
        1);
  CHECK_FALSE(lookup(conn, "cc33"));
}

TEST_CASE("verify of the auth read models runs again when current_states moves under it",
          "[projections]") {
  // A serving instance's checkpoint keeper moves current_states every 250 ms; the in-place
  // verify resets those rows in its repeatable-read transaction. Here the keeper's update
  // is held open until the verify has taken its snapshot and waits on the row: its commit
  // then makes the verify's update a serialization failure, and the verify must start again
  // rather than fail.
  testing::TestDatabase db;
  pqxx::connection conn(db.url());
  pqxx::connection keeper_conn(db.url());
  pqxx::work keeper(keeper_conn);
  keeper.exec("UPDATE current_states SET updated_at = now() WHERE projection = 'orgs'");

  const auto* auth = projections::find_projection("auth");
  REQUIRE(auth);
  std::vector<projections::RowDifference> diffs;
  std::string error;
  std::thread verifier([&] {
    try {
      diffs = projections::verify(conn, *auth);
    } catch (const std::exception& e) {
      error = e.what();
    }
  });
  // Commit once the verify waits on the row (it has taken its snapshot by then).
  pqxx::connection watch(db.url());
  for (int i = 0; i < 500; ++i) {
    pqxx::nontransaction q(watch);
    if (!q.exec("SELECT 1 FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = "
                "current_database()")
             .empty()) {
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  keeper.commit();
  verifier.join();
  CHECK(error == "");
  CHECK(diffs.empty());
}

TEST_CASE("machine keys: added with their public key and expiration, found, paged, removed",
          "[projection][auth][credentials]") {
  testing::TestDatabase db;
  pqxx::connection conn(db.url());
  add_user(conn, "u1");
  const auto k1 = user_event(conn, "u1", "user.machine.key.added", key_added("k1"));
  user_event(conn, "u1", "user.machine.key.added", key_added("k2", "2030-01-02T03:04:05.5Z"));
  user_event(conn, "u1", "user.machine.key.added", key_added("k3"));
  // Another organization's user (the helper's owner is o1 for every user: o2 by hand).
  record(conn, "user", "u2",
         {testing::new_event("user.machine.added", {{"userName", "u2"}, {"name", "R"}}),
          testing::new_event("user.machine.key.added", key_added("k9"))},
         "o2");

  projections::MachineCredentials creds(conn);
  {
    pqxx::read_transaction tx(conn);
    const auto key = creds.find_key(tx, "u1", "k1");
    REQUIRE(key);
    CHECK(key->id == "k1");
    CHECK(key->user_id == "u1");
    CHECK(key->owner == "o1");
    CHECK(key->type == 1);
    CHECK(domain::to_rfc3339(key->expiration) == "9999-12-31T23:59:59Z");
    CHECK(key->public_key == "-----BEGIN PUBLIC KEY-----\nk1\n");
    CHECK(key->sequence == k1[0].sequence);
    CHECK(key->creation_date == k1[0].created_at);
    CHECK(key->change_date == k1[0].created_at);
    CHECK(domain::to_rfc3339(creds.find_key(tx, "u1", "k2")->expiration) ==
          "2030-01-02T03:04:05.500Z");
    CHECK_FALSE(creds.find_key(tx, "u2", "k1"));  // a key is its user's
    CHECK_FALSE(creds.find_key(tx, "u1", "nope"));

    const auto newest = creds.keys_of(tx, "u1", "o1", 0, 1000, false);
    CHECK(newest.total == 3);
    REQUIRE(newest.keys.size() == 3);
    CHECK(newest.keys[0].id == "k3");
    CHECK(newest.keys[2].id == "k1");
    const auto page = creds.keys_of(tx, "u1", "o1", 1, 1, true);
    CHECK(page.total == 3);
    REQUIRE(page.keys.size() == 1);
    CHECK(page.keys[0].id == "k2");
    CHECK(page.processed_position ==
          tx.exec1("SELECT position FROM current_states WHERE projection = 'machine_keys'")[0]
              .as<std::int64_t>());
    CHECK(page.processed_position > 0);
    CHECK(creds.keys_of(tx, "u1", "o1", 5, 10, true).keys.empty());
    CHECK(creds.keys_of(tx, "u1", "o1", 5, 10, true).total == 3);
    // In another organization the user has none.
    CHECK(creds.keys_of(tx, "u1", "o2", 0, 10, true).total == 0);
    CHECK(creds.keys_of(tx, "u2", "o2", 0, 10, true).total == 1);
  }

  user_event(conn, "u1", "user.machine.key.removed", {{"keyId", "k2"}});
  {
    pqxx::read_transaction tx(conn);
    CHECK_FALSE(creds.find_key(tx, "u1", "k2"));
    CHECK(creds.keys_of(tx, "u1", "o1", 0, 10, true).total == 2);
  }
  // A removed user's keys are gone, and do not come back with its id.
  user_event(conn, "u1", "user.removed");
  add_user(conn, "u1");
  {
    pqxx::read_transaction tx(conn);
    CHECK_FALSE(creds.find_key(tx, "u1", "k1"));
    CHECK(creds.keys_of(tx, "u1", "o1", 0, 10, true).total == 0);
    CHECK(creds.find_key(tx, "u2", "k9"));
  }
}

TEST_CASE("client secrets: the hash alone, replaced, removed, found by user name anywhere",
          "[projection][auth][credentials]") {
  testing::TestDatabase db;
  pqxx::connection conn(db.url());
  add_user(conn, "u1");  // user name "u1"
  user_event(conn, "u1", "user.machine.secret.set", {{"hashedSecret", "sha256$a$b"}});
  // The same user name in another organization, without a secret yet.
  record(conn, "user", "u9",
         {testing::new_event("user.machine.added", {{"userName", "U1"}, {"name", "R"}})}, "o2");

  projections::MachineCredentials creds(conn);
  const auto clients = [&](const std::string& id) {
    pqxx::read_transaction tx(conn);
    return creds.clients_named(tx, id);
  };
  const auto has_secret = [&](const std::string& id) {
    pqxx::read_transaction tx(conn);
    return creds.has_secret(tx, id);
  };
  CHECK(has_secret("u1"));
  CHECK_FALSE(has_secret("u9"));
  auto found = clients("u1");
  REQUIRE(found.size() == 2);  // ASCII case folded, as user names are unique
  CHECK(found[0].user_id == "u1");
  CHECK(found[0].owner == "o1");
  CHECK(found[0].user_name == "u1");
  CHECK(found[0].user_state == domain::UserState::Active);
  CHECK(found[0].secret_hash == "sha256$a$b");
  CHECK(found[1].user_id == "u9");
  CHECK(found[1].owner == "o2");
  CHECK_FALSE(found[1].secret_hash);
  CHECK(clients("nobody").empty());

  user_event(conn, "u1", "user.machine.secret.set", {{"hashedSecret", "sha256$c$d"}});
  CHECK(clients("U1")[0].secret_hash == "sha256$c$d");
  user_event(conn, "u1", "user.locked");
  CHECK(clients("u1")[0].user_state == domain::UserState::Locked);

  user_event(conn, "u1", "user.machine.secret.removed");
  CHECK_FALSE(has_secret("u1"));
  CHECK_FALSE(clients("u1")[0].secret_hash);

  user_event(conn, "u1", "user.machine.secret.set", {{"hashedSecret", "sha256$e$f"}});
  user_event(conn, "u1", "user.removed");
  CHECK_FALSE(has_secret("u1"));
  CHECK(testing::count_rows(conn, "SELECT count(*) FROM machine_secrets_read_model") == 0);
  found = clients("u1");
  REQUIRE(found.size() == 1);
  CHECK(found[0].user_id == "u9");
}

TEST_CASE("replay and verify of the auth projection cover the machine keys and secrets",
          "[projections][credentials]") {
  testing::TestDatabase db;
  pqxx::connection conn(db.url());
  add_user(conn, "u1");
  add_user(conn, "u2");
  user_event(conn, "u1", "user.machine.key.added", key_added("k1"));
  user_event(conn, "u1", "user.machine.key.added", key_added("k2"));
  user_event(conn, "u1", "user.machine.key.removed", {{"keyId", "k1"}});
  user_event(conn, "u1", "user.machine.secret.set", {{"hashedSecret", "sha256$a$b"}});
  user_event(conn, "u2", "user.machine.secret.set", {{"hashedSecret", "sha256$c$d"}});
  user_event(conn, "u2", "user.machine.secret.removed");
  const auto before = dump_read_models(conn);

  const auto* auth = projections::find_projection("auth");
  REQUIRE(auth);
  CHECK(projections::verify(conn, *auth).empty());

  // A row the events do not give is found by verify, and replay puts it right.
  {
    pqxx::work tx(conn);
    tx.exec("UPDATE machine_keys_read_model SET expiration = 'epoch' WHERE id = 'k2'");
    tx.exec("INSERT INTO machine_secrets_read_model VALUES ('u2', 'o1', 'sha256$x$y', now(), 9)");
    tx.commit();
  }
  const auto diffs = projections::verify(conn, *auth);
  REQUIRE(diffs.size() == 2);
  std::set<std::string> tables;
  for (const auto& d : diffs) tables.insert(d.table);
  CHECK(tables == std::set<std::string>{"machine_keys_read_model", "machine_secrets_read_model"});

  projections::replay(conn, *auth, {});
  CHECK(dump_read_models(conn) == before);
  CHECK(projections::verify(conn, *auth).empty());
}
