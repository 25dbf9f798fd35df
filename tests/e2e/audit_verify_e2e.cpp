// Tamper evidence through the real binary: `audit seal` and `audit verify`
// catch what the database superuser can do behind the append-only triggers.
#include <sys/stat.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdio>
#include <fstream>
#include <pqxx/pqxx>

#include "domain/seal.hpp"
#include "tests/e2e/service_fixture.hpp"

using mu::testing::ProcessResult;
using mu::testing::run_binary;
using mu::testing::Service;

namespace {

std::string temp_path(const std::string& name) {
  static int n = 0;
  return "/tmp/mu-audit-" + std::to_string(::getpid()) + "-" + std::to_string(++n) + "-" + name;
}

// A service with a user of three events (added, changed, locked), a seal key made by
// `setup --seal-key`, and a seal log.
struct Sealed {
  Service s;
  std::string key = temp_path("seal.key");
  std::string log = temp_path("seals.jsonl");
  std::string user;

  Sealed() {
    const auto token = temp_path("token");
    auto setup =
        run_binary({"setup", "--org-name", "Org One", "--admin-user", "admin", "--token-file",
                    token, "--seal-key", key, "--database-url", s.database().url()});
    std::remove(token.c_str());
    if (setup.exit_code != 0) throw std::runtime_error("setup --seal-key failed: " + setup.err);
    user = s.add_user("sealed", s.org2());
    if (s.call("PUT", "/users/" + user + "/machine", R"({"name":"second"})", s.org2()).status !=
            200 ||
        s.call("POST", "/users/" + user + "/_lock", "", s.org2()).status != 200) {
      throw std::runtime_error("changes failed");
    }
  }
  ~Sealed() {
    for (const auto& f : {key, key + ".pub", log}) std::remove(f.c_str());
  }

  ProcessResult audit(std::vector<std::string> args) {
    args.insert(args.begin(), "audit");
    args.push_back("--database-url");
    args.push_back(s.database().url());
    return run_binary(args);
  }
  ProcessResult seal() { return audit({"seal", "--key", key, "--seal-log", log}); }
  ProcessResult verify() { return audit({"verify", "--seals", log, "--public-key", key + ".pub"}); }

  // As the database superuser, with the append-only triggers out of the way.
  void tamper(const std::string& sql) {
    pqxx::connection conn(s.database().url());
    pqxx::work tx(conn);
    tx.exec("SET LOCAL session_replication_role = replica");
    tx.exec(sql);
    tx.commit();
  }
  std::string where(long sequence) const {
    return "aggregate_type = 'user' AND aggregate_id = '" + user +
           "' AND sequence = " + std::to_string(sequence);
  }
};

}  // namespace

TEST_CASE("audit seal and verify: an untouched store holds, its seals signed and logged") {
  Sealed t;
  // The key is its owner's alone; its public half lies beside it.
  struct stat st {};
  REQUIRE(::stat(t.key.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);

  auto unsealed = t.audit({"verify"});
  CHECK(unsealed.exit_code == 0);
  CHECK(unsealed.out.find(" 0 seals cover 0 events") != std::string::npos);

  auto first = t.seal();
  REQUIRE(first.exit_code == 0);
  CHECK(first.out.rfind("seal 1: ", 0) == 0);
  CHECK(t.seal().out == "nothing new to seal\n");
  t.s.add_user("later", t.s.org2());
  auto second = t.seal();
  CHECK(second.out.rfind("seal 2: 1 events", 0) == 0);

  auto ok = t.verify();
  CHECK(ok.exit_code == 0);
  CHECK(ok.out.find("2 seals cover " + std::to_string(t.s.count_events()) + " events; 0 events") !=
        std::string::npos);
  // The log holds both seals, one JSON line each.
  std::ifstream in(t.log);
  std::string line;
  int lines = 0;
  while (std::getline(in, line)) {
    ++lines;
    CHECK(nlohmann::json::parse(line).at("id") == lines);
  }
  CHECK(lines == 2);

  // Bad input: a one-line error and a non-zero exit.
  auto no_key = t.audit({"seal", "--key", "/nonexistent/seal.key"});
  CHECK(no_key.exit_code != 0);
  CHECK(no_key.err.find("cannot read /nonexistent/seal.key") != std::string::npos);
  auto not_a_key = t.audit({"verify", "--public-key", t.log});
  CHECK(not_a_key.exit_code != 0);
  CHECK(not_a_key.err.find("no Ed25519 public key") != std::string::npos);
  auto typo = t.audit({"verify", "--sealz", t.log});
  CHECK(typo.exit_code == 2);
  CHECK(typo.err ==
        "machine-users audit: unknown flag --sealz for audit verify (try audit --help)\n");
  CHECK(t.audit({"seal", "now"}).exit_code == 2);
}

TEST_CASE("audit verify names a changed payload") {
  Sealed t;
  REQUIRE(t.seal().exit_code == 0);
  t.tamper("UPDATE events SET payload = jsonb_set(payload, '{name}', '\"evil\"') WHERE " +
           t.where(2));
  auto r = t.verify();
  CHECK(r.exit_code == 1);
  CHECK(r.err.find("event user/" + t.user + " sequence 2") != std::string::npos);
  CHECK(r.err.find("hash does not match") != std::string::npos);
}

TEST_CASE("audit verify names an event deleted in the middle and one at the end of a stream") {
  Sealed middle;
  middle.tamper("DELETE FROM events WHERE " + middle.where(2));
  auto m = middle.audit({"verify"});
  CHECK(m.exit_code == 1);
  CHECK(m.err.find("event user/" + middle.user + " sequence 3") != std::string::npos);
  CHECK(m.err.find("sequence 2 before it is missing") != std::string::npos);

  Sealed end;
  end.tamper("DELETE FROM events WHERE " + end.where(3));
  auto e = end.audit({"verify"});
  CHECK(e.exit_code == 1);
  CHECK(e.err.find("stream user/" + end.user + ": its head says sequence 3") != std::string::npos);
}

TEST_CASE("audit verify: an event re-inserted altered, every hash recomputed, fails its seal") {
  Sealed t;
  REQUIRE(t.seal().exit_code == 0);
  // Events 2 and 3 out, 2 back with another name, both with hashes recomputed by the
  // database's own function and chained, the head's last hash updated: every chain holds.
  const std::string cols =
      "aggregate_type, aggregate_id, sequence, event_type, revision, payload, creator, owner, "
      "created_at, rpc, transport, request_id";
  const std::string rehash =
      "event_hash((SELECT hash FROM events p WHERE p.aggregate_type = t.aggregate_type AND "
      "p.aggregate_id = t.aggregate_id AND p.sequence = t.sequence - 1), " +
      cols + ")";
  t.tamper("CREATE TEMP TABLE t AS SELECT * FROM events WHERE aggregate_id = '" + t.user +
           "' AND sequence >= 2; DELETE FROM events WHERE aggregate_id = '" + t.user +
           "' AND sequence >= 2; UPDATE t SET payload = jsonb_set(payload, '{name}', "
           "'\"forged\"') WHERE sequence = 2; INSERT INTO events (" +
           cols + ", hash) SELECT " + cols + ", " + rehash +
           " FROM t WHERE sequence = 2; INSERT INTO events (" + cols + ", hash) SELECT " + cols +
           ", " + rehash +
           " FROM t WHERE sequence = 3; UPDATE streams SET last_hash = (SELECT hash FROM events "
           "WHERE " +
           t.where(3) + ") WHERE aggregate_id = '" + t.user + "'");
  auto r = t.verify();
  CHECK(r.exit_code == 1);
  CHECK(r.err.find("seal 1") != std::string::npos);
  CHECK(r.out.find("FAILED after " + std::to_string(t.s.count_events()) + " events") !=
        std::string::npos);  // every chain held: only the seal caught it
}

TEST_CASE(
    "audit verify: a dropped latest seal is caught against the seal log, a forged one by "
    "its signature") {
  Sealed t;
  REQUIRE(t.seal().exit_code == 0);
  t.s.add_user("second-seal", t.s.org2());
  REQUIRE(t.seal().exit_code == 0);
  const auto untouched = t.verify();
  INFO(untouched.out << untouched.err);
  REQUIRE(untouched.exit_code == 0);

  t.tamper("DELETE FROM seals WHERE id = 2");
  CHECK(t.audit({"verify"}).exit_code == 0);  // without the log, nothing says it existed
  auto r = t.verify();
  CHECK(r.exit_code == 1);
  CHECK(r.err.find("seal 2 is in the seal log but not in the database") != std::string::npos);

  t.tamper("UPDATE seals SET signature = repeat('0', 128) WHERE id = 1");
  auto forged = t.audit({"verify", "--public-key", t.key + ".pub"});
  CHECK(forged.exit_code == 1);
  CHECK(forged.err.find("seal 1: its signature does not hold") != std::string::npos);
}

TEST_CASE("serve --seal-key seals in the background and appends each seal to the seal log") {
  const auto key = temp_path("serve.key");
  const auto log = temp_path("serve-seals.jsonl");
  {
    std::ofstream out(key);
    out << mu::domain::new_private_key_pem();
  }
  {
    Service s({"--seal-key", key, "--seal-log", log, "--seal-interval", "1"});
    s.add_user("sealed-by-serve", s.org2());
    const auto events = s.count_events();
    // Within a few intervals every event is sealed and the log holds the seals.
    ProcessResult r;
    for (int i = 0; i < 100; ++i) {
      r = run_binary({"audit", "verify", "--seals", log, "--database-url", s.database().url()});
      if (r.out.find(" 0 events not sealed yet") != std::string::npos &&
          r.out.find("not in the seal log") == std::string::npos) {
        break;
      }
      ::usleep(100'000);
    }
    CHECK(r.exit_code == 0);
    CHECK(r.out.find(" cover " + std::to_string(events) + " events; 0 events not sealed yet") !=
          std::string::npos);
    std::ifstream in(log);
    std::string first;
    REQUIRE(std::getline(in, first));
    CHECK(nlohmann::json::parse(first).at("id") == 1);
  }
  // An unreadable key stops serve at start with one line.
  auto bad = run_binary({"serve", "--seal-key", "/nonexistent/key", "--listen", "127.0.0.1:0",
                         "--database-url", mu::testing::server_url()});
  CHECK(bad.exit_code == 1);
  CHECK(bad.err.find("cannot read /nonexistent/key") != std::string::npos);
  std::remove(key.c_str());
  std::remove(log.c_str());
}
