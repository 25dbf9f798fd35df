// High availability with real processes on 127.0.0.1: a Patroni cluster of our script
// (scripts/ha-cluster), two instances of the service on its multi-host URL, a write load, and
// the primary killed (kill -9 of its Patroni and postmaster) or switched over. Afterwards every
// acknowledged write is there, each user's sequences run 1..n without a gap, `audit verify`
// with the seals passes, both instances write again within a bound, and no call was a 500.
// The negative control runs the same checks after a failover that must lose writes
// (asynchronous replication, the standby's WAL receiver stopped) and expects them to fail.
// Label `ha` (`./test -L ha`); not part of a plain `./test` (docs/operations.md says why).
#include <signal.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <exception>
#include <fstream>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include "tests/e2e/service_fixture.hpp"
#include "tests/support/ha_cluster.hpp"

using mu::testing::HaCluster;
using mu::testing::HttpClient;
using mu::testing::ProcessResult;
using mu::testing::ServerProcess;
using nlohmann::json;
using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;
using std::chrono::seconds;

namespace {

double seconds_between(Clock::time_point from, Clock::time_point to) {
  return std::chrono::duration<double>(to - from).count();
}

std::string tail(const std::string& s, std::size_t n = 3000) {
  return s.size() <= n ? s : "..." + s.substr(s.size() - n);
}

// A 2xx to a rename: this name was recorded for the user as this sequence.
struct Ack {
  std::string user;
  long long sequence = 0;
  std::string name;
};

// What the clients of one load saw.
struct Tally {
  std::mutex mutex;
  std::vector<Ack> acks;
  int unavailable = 0;             // 503 with code 14
  int unanswered = 0;              // no answer (connection refused or reset, the client's timeout)
  std::vector<std::string> wrong;  // any other answer: a 500, a 4xx, a body without a sequence
  // Per instance: the first acknowledged write sent after another node became primary.
  std::map<int, Clock::time_point> first_after_promotion;
  Clock::time_point promoted{};
  bool promoted_done = false;
};

// One service instance on the cluster's URL, sealing every second into its own log.
struct Instance {
  Instance(const std::string& url, const std::string& seal_key, const std::string& seal_log)
      : server(url, {"--seal-key", seal_key, "--seal-log", seal_log, "--seal-interval", "1"}) {}
  ServerProcess server;
};

// Files removed when it goes away, on every exit path (a failed REQUIRE included).
struct TempFiles {
  std::vector<std::string> paths;
  ~TempFiles() {
    for (const auto& p : paths) std::remove(p.c_str());
  }
};

std::string temp_path(const std::string& name) {
  return "/tmp/mu-ha-" + std::to_string(::getpid()) + "-" + name;
}

// A database on the cluster, set up as on a first run, with a seal key.
struct HaService {
  explicit HaService(HaCluster& c)
      : cluster(c), url((c.create_database("mu"), c.url("mu"))), seal_key(temp_path("seal.key")) {
    const std::string token_file = temp_path("token");
    auto r = mu::testing::run_binary({"setup", "--org-name", "Org One", "--admin-user", "admin",
                                      "--token-file", token_file, "--seal-key", seal_key,
                                      "--database-url", url});
    if (r.exit_code != 0) {
      for (const auto& f : {seal_key, seal_key + ".pub", token_file}) std::remove(f.c_str());
      throw std::runtime_error("setup failed: " + r.err);
    }
    std::ifstream in(token_file);
    std::getline(in, token);
    std::remove(token_file.c_str());
  }
  ~HaService() {
    for (const auto& f : {seal_key, seal_key + ".pub"}) std::remove(f.c_str());
  }

  HaCluster& cluster;
  std::string url;
  std::string seal_key;
  std::string token;
};

std::string add_user(unsigned short port, const std::string& token, const std::string& name) {
  HttpClient http("127.0.0.1", port);
  auto r = http.request("POST", "/management/v1/users/machine",
                        json{{"userName", name}, {"name", "Name of " + name}}.dump(),
                        {{"authorization", "Bearer " + token}});
  INFO(r.body);
  REQUIRE(r.status == 200);
  return json::parse(r.body).at("userId").get<std::string>();
}

// Renames `user` through instance `instance` until `stop`, one call per write and no retry: a
// write that may have reached the server is never sent again.
void write_loop(int instance, unsigned short port, const std::string& token,
                const std::string& user, std::atomic<bool>& stop, Tally& tally) {
  HttpClient http("127.0.0.1", port);
  for (int k = 0; !stop; ++k) {
    const std::string name = user + " " + std::to_string(instance) + "." + std::to_string(k);
    const auto sent = Clock::now();
    mu::testing::HttpResult r;
    try {
      r = http.request("PUT", "/management/v1/users/" + user + "/machine",
                       json{{"name", name}}.dump(), {{"authorization", "Bearer " + token}});
    } catch (const std::exception&) {
      http = HttpClient("127.0.0.1", port);
      std::lock_guard lock(tally.mutex);
      ++tally.unanswered;
      continue;
    }
    json body;
    try {
      body = json::parse(r.body);
    } catch (...) {
    }
    std::lock_guard lock(tally.mutex);
    if (r.status == 200 && body.contains("details")) {
      tally.acks.push_back(
          {user, std::stoll(body["details"].value("sequence", std::string("0"))), name});
      if (tally.promoted_done && sent > tally.promoted &&
          !tally.first_after_promotion.count(instance)) {
        tally.first_after_promotion[instance] = Clock::now();
      }
    } else if (r.status == 503 && body.is_object() && body.value("code", -1) == 14) {
      ++tally.unavailable;
    } else {
      tally.wrong.push_back("HTTP " + std::to_string(r.status) + " " + r.body);
    }
    if (r.status == 503) std::this_thread::sleep_for(milliseconds(20));
  }
}

// Everything that is wrong with the store after a load: acknowledged writes missing or
// different, a sequence acknowledged twice, a user's sequences not 1..n. Read on `url`.
std::vector<std::string> store_problems(const std::string& url,
                                        const std::vector<std::string>& users,
                                        const std::vector<Ack>& acks) {
  std::vector<std::string> problems;
  pqxx::connection conn(url);
  pqxx::nontransaction tx(conn);
  std::map<std::pair<std::string, long long>, std::string> names;
  for (const auto& user : users) {
    long long expected = 1;
    for (const auto& row : tx.exec_params(
             "SELECT sequence, payload->>'name' FROM events WHERE aggregate_type = 'user' AND "
             "aggregate_id = $1 ORDER BY sequence",
             user)) {
      const auto sequence = row[0].as<long long>();
      if (sequence != expected) {
        problems.push_back("user " + user + ": sequence " + std::to_string(sequence) + " where " +
                           std::to_string(expected) + " was due");
      }
      expected = sequence + 1;
      names[{user, sequence}] = row[1].is_null() ? "" : row[1].as<std::string>();
    }
  }
  std::set<std::pair<std::string, long long>> seen;
  for (const auto& a : acks) {
    if (!seen.insert({a.user, a.sequence}).second) {
      problems.push_back("sequence " + std::to_string(a.sequence) + " of " + a.user +
                         " acknowledged twice");
    }
    const auto it = names.find({a.user, a.sequence});
    if (it == names.end()) {
      problems.push_back("acknowledged " + a.user + "#" + std::to_string(a.sequence) + " (" +
                         a.name + ") is missing");
    } else if (it->second != a.name) {
      problems.push_back("acknowledged " + a.user + "#" + std::to_string(a.sequence) + " is '" +
                         it->second + "', not '" + a.name + "'");
    }
  }
  return problems;
}

std::string joined(const std::vector<std::string>& lines, std::size_t most = 20) {
  std::string out;
  for (std::size_t i = 0; i < lines.size() && i < most; ++i) out += lines[i] + "\n";
  if (lines.size() > most) out += "... " + std::to_string(lines.size() - most) + " more\n";
  return out;
}

enum class Cut { kill_primary, switchover };

// Both instances write again within this long after the kill: Patroni's ttl (8 s) until the
// standby may take the leader key, its promotion, then the instances' reconnection. A bound
// on correctness (a service that never comes back fails), not on speed.
constexpr auto kRecoveryBound = seconds(40);

struct LoadResult {
  std::vector<std::string> users;
  std::vector<Ack> acks;
  int unavailable = 0;
  int unanswered = 0;
  std::vector<std::string> wrong;
  std::map<int, double> first_write_after;  // instance -> seconds after the cut
  double promoted_after = 0;                // seconds from the cut to a new writable primary
};

// Two instances, two writers each (a user of their own), `cut` after two seconds of load,
// the load kept on until both instances wrote again (or kRecoveryBound passed), then one more
// second.
LoadResult load_through(HaService& s, std::vector<std::unique_ptr<Instance>>& instances, Cut cut) {
  const auto& token = s.token;
  LoadResult out;
  for (std::size_t i = 0; i < instances.size(); ++i) {
    for (int u = 0; u < 2; ++u) {
      out.users.push_back(add_user(instances[i]->server.port(), token,
                                   "bot-" + std::to_string(i) + "-" + std::to_string(u)));
    }
  }
  Tally tally;
  std::atomic<bool> stop{false};
  std::vector<std::thread> threads;
  for (std::size_t i = 0; i < instances.size(); ++i) {
    for (int u = 0; u < 2; ++u) {
      threads.emplace_back(write_loop, static_cast<int>(i), instances[i]->server.port(),
                           std::cref(token), std::cref(out.users[i * 2 + u]), std::ref(stop),
                           std::ref(tally));
    }
  }
  struct Joiner {
    std::atomic<bool>& stop;
    std::vector<std::thread>& threads;
    ~Joiner() {
      stop = true;
      for (auto& t : threads) t.join();
    }
  } joiner{stop, threads};

  std::this_thread::sleep_for(seconds(2));
  const int old_leader = s.cluster.leader();
  REQUIRE(old_leader != 0);
  const auto cut_at = Clock::now();
  // The switchover runs beside the watch below (the script returns once the old leader
  // streams again, well after the new one took writes).
  std::exception_ptr switchover_failed;
  std::thread switchover;
  if (cut == Cut::kill_primary) {
    s.cluster.crash(old_leader);
  } else {
    switchover = std::thread([&] {
      try {
        s.cluster.switchover();
      } catch (...) {
        switchover_failed = std::current_exception();
      }
    });
  }
  struct JoinSwitchover {
    std::thread& t;
    ~JoinSwitchover() {
      if (t.joinable()) t.join();
    }
  } join_switchover{switchover};
  // Promoted: another node takes writes. (After kill -9 of a postmaster its backends, and its
  // WAL sender, live on for a moment: writes on them still commit, and replicate.)
  const auto deadline = cut_at + kRecoveryBound;
  int new_leader = 0;
  while (new_leader == 0 && Clock::now() < deadline) {
    for (int n = 1; n <= s.cluster.nodes(); ++n) {
      if (n != old_leader && s.cluster.writable(n)) new_leader = n;
    }
    if (new_leader == 0) std::this_thread::sleep_for(milliseconds(100));
  }
  {
    std::lock_guard lock(tally.mutex);
    tally.promoted = Clock::now();
    tally.promoted_done = true;
  }
  out.promoted_after = new_leader == 0 ? -1 : seconds_between(cut_at, tally.promoted);
  for (;;) {
    {
      std::lock_guard lock(tally.mutex);
      if (tally.first_after_promotion.size() == instances.size() || Clock::now() > deadline) break;
    }
    std::this_thread::sleep_for(milliseconds(50));
  }
  std::this_thread::sleep_for(seconds(1));
  if (switchover.joinable()) switchover.join();
  if (switchover_failed) std::rethrow_exception(switchover_failed);
  stop = true;
  for (auto& t : threads) t.join();
  threads.clear();
  std::lock_guard lock(tally.mutex);
  out.acks = tally.acks;
  out.unavailable = tally.unavailable;
  out.unanswered = tally.unanswered;
  out.wrong = tally.wrong;
  for (const auto& [instance, at] : tally.first_after_promotion) {
    out.first_write_after[instance] = seconds_between(cut_at, at);
  }
  return out;
}

ProcessResult audit_verify(const HaService& s, const std::string& seal_log) {
  return mu::testing::run_binary({"audit", "verify", "--seals", seal_log, "--public-key",
                                  s.seal_key + ".pub", "--database-url", s.url});
}

void failover_under_load(Cut cut) {
  HaCluster cluster;
  HaService s(cluster);
  std::vector<std::unique_ptr<Instance>> instances;
  const std::vector<std::string> logs = {temp_path("seals-0.jsonl"), temp_path("seals-1.jsonl")};
  const TempFiles remove_logs{logs};
  for (const auto& log : logs) {
    std::remove(log.c_str());
    instances.push_back(std::make_unique<Instance>(s.url, s.seal_key, log));
  }
  const auto result = load_through(s, instances, cut);
  INFO("acknowledged " << result.acks.size() << ", 503 " << result.unavailable << ", unanswered "
                       << result.unanswered << ", promoted after " << result.promoted_after
                       << " s");
  for (const auto& [instance, after] : result.first_write_after) {
    INFO("instance " << instance << " wrote again " << after << " s after the cut");
  }
  // Figures for docs/operations.md, in the test's output.
  std::printf(
      "ha: %s: promoted after %.2f s; first write after the cut: instance 0 %.2f s, "
      "instance 1 %.2f s; %zu acknowledged, %d x 503, %d unanswered\n",
      cut == Cut::kill_primary ? "kill -9" : "switchover", result.promoted_after,
      result.first_write_after.count(0) ? result.first_write_after.at(0) : -1.0,
      result.first_write_after.count(1) ? result.first_write_after.at(1) : -1.0, result.acks.size(),
      result.unavailable, result.unanswered);

  CHECK(result.wrong.empty());
  INFO(joined(result.wrong));
  REQUIRE(result.promoted_after >= 0);  // another node became primary within the bound
  CHECK(result.first_write_after.size() == instances.size());  // both wrote again in the bound
  CHECK(result.acks.size() > 20);

  // The seals made since, on the new primary, cover the writes after the cut too.
  std::this_thread::sleep_for(seconds(2));
  const auto problems = store_problems(s.url, result.users, result.acks);
  INFO(joined(problems));
  CHECK(problems.empty());
  for (std::size_t i = 0; i < instances.size(); ++i) {
    INFO("instance " << i << " output:\n" << tail(instances[i]->server.output()));
    CHECK(instances[i]->server.output().find("\"status\":500") == std::string::npos);
  }
  for (const auto& log : logs) {
    const auto verify = audit_verify(s, log);
    INFO(verify.out << verify.err);
    CHECK(verify.exit_code == 0);
    CHECK(verify.out.find(" 0 seals cover") == std::string::npos);  // seals were checked
  }
}

}  // namespace

TEST_CASE("kill -9 of the primary under a write load through two instances loses nothing", "[ha]") {
  failover_under_load(Cut::kill_primary);
}

TEST_CASE("a planned switchover under a write load through two instances loses nothing", "[ha]") {
  failover_under_load(Cut::switchover);
}

TEST_CASE(
    "negative control: asynchronous replication with the standby's WAL receiver "
    "stopped loses acknowledged writes, and the checks find them",
    "[ha]") {
  HaCluster cluster(HaCluster::Options{2, false});
  HaService s(cluster);
  ServerProcess server(s.url);
  const auto& token = s.token;
  const std::string user = add_user(server.port(), token, "bot");
  const int old_leader = cluster.leader();
  REQUIRE(old_leader != 0);
  const int standby = old_leader == 1 ? 2 : 1;
  // Everything so far on the standby, then its WAL receiver stopped: what the primary sends
  // from now on waits unread in the socket.
  cluster.wait_replayed(old_leader, standby);
  const pid_t receiver = cluster.walreceiver_pid(standby);
  REQUIRE(receiver > 0);
  REQUIRE(::kill(receiver, SIGSTOP) == 0);

  std::vector<Ack> acks;
  HttpClient http("127.0.0.1", server.port());
  for (int k = 0; k < 20; ++k) {
    const std::string name = "lost " + std::to_string(k);
    auto r = http.request("PUT", "/management/v1/users/" + user + "/machine",
                          json{{"name", name}}.dump(), {{"authorization", "Bearer " + token}});
    REQUIRE(r.status == 200);
    acks.push_back({user, std::stoll(json::parse(r.body)["details"].value("sequence", "0")), name});
  }
  // The primary gone, then the stopped receiver with what it never read; the standby restarts
  // its recovery from the WAL it has, and Patroni promotes it (any lag allowed when async).
  cluster.crash(old_leader);
  ::kill(receiver, SIGKILL);
  const auto until = Clock::now() + kRecoveryBound;
  while (cluster.leader() != standby) {
    INFO(cluster.logs());
    REQUIRE(Clock::now() < until);
    std::this_thread::sleep_for(milliseconds(200));
  }
  const auto problems = store_problems(cluster.node_url(standby, "mu"), {user}, acks);
  INFO(joined(problems));
  // The checks of the failover tests see the loss: acknowledged writes are missing.
  CHECK(problems.size() >= 1);
  bool missing = false;
  for (const auto& p : problems) missing = missing || p.find("is missing") != std::string::npos;
  CHECK(missing);
}

namespace {

// A counter's value in the Prometheus text of GET /metrics.
double metric(unsigned short port, const std::string& name) {
  HttpClient http("127.0.0.1", port);
  const auto r = http.request("GET", "/metrics");
  const auto at = r.body.find("\n" + name + " ");
  return at == std::string::npos ? -1 : std::stod(r.body.substr(at + name.size() + 2));
}

}  // namespace

TEST_CASE("reads that may go to the standby never miss the reader's own last write", "[ha]") {
  HaCluster cluster;
  HaService s(cluster);
  const std::string standby_url = cluster.url("mu").replace(
      cluster.url("mu").find("read-write"), std::string("read-write").size(), "prefer-standby");
  ServerProcess a(s.url, {"--read-database-url", standby_url});
  ServerProcess b(s.url, {"--read-database-url", standby_url});
  ServerProcess plain(s.url);  // every read on the primary: the cost of the rule, compared
  const std::string user = add_user(a.port(), s.token, "reader");
  const std::map<std::string, std::string> auth = {{"authorization", "Bearer " + s.token}};
  HttpClient writer_a("127.0.0.1", a.port()), writer_b("127.0.0.1", b.port());
  HttpClient reader_a("127.0.0.1", a.port()), reader_b("127.0.0.1", b.port());
  const int leader = cluster.leader();
  REQUIRE(leader != 0);
  cluster.wait_replayed(leader, leader == 1 ? 2 : 1);
  pqxx::connection standby_direct(cluster.node_url(leader == 1 ? 2 : 1, "mu"));

  int stale = 0, stale_without_rule = 0;
  const int rounds = 200;
  for (int i = 0; i < rounds; ++i) {
    // A write on one instance, then reads on the other: GetUserByID, ListUserChanges,
    // ListEvents each see it.
    auto& writer = i % 2 ? writer_b : writer_a;
    auto& reader = i % 2 ? reader_a : reader_b;
    const std::string name = "v" + std::to_string(i);
    auto w = writer.request("PUT", "/management/v1/users/" + user + "/machine",
                            json{{"name", name}}.dump(), auth);
    REQUIRE(w.status == 200);
    const std::string sequence = json::parse(w.body)["details"].value("sequence", "");
    // The standby read directly at this moment, without the rule: how often it would be stale.
    {
      pqxx::nontransaction tx(standby_direct);
      const auto r = tx.exec_params(
          "SELECT count(*) FROM events WHERE aggregate_id = $1 AND sequence = $2::bigint", user,
          sequence);
      if (r[0][0].as<long long>() == 0) ++stale_without_rule;
    }
    const auto got = reader.request("GET", "/management/v1/users/" + user, "", auth);
    REQUIRE(got.status == 200);
    const json body = json::parse(got.body);
    if (body["user"]["machine"].value("name", "") != name ||
        body["user"]["details"].value("sequence", "") != sequence) {
      ++stale;
      FAIL_CHECK("GetUserByID after the write " << sequence << ": " << got.body);
    }
    const auto changes = reader.request("POST", "/management/v1/users/" + user + "/changes/_search",
                                        json{{"query", {{"limit", 1}}}}.dump(), auth);
    REQUIRE(changes.status == 200);
    const json change = json::parse(changes.body);
    if (!change.contains("result") || change["result"][0].value("sequence", "") != sequence) {
      ++stale;
      FAIL_CHECK("ListUserChanges after the write " << sequence << ": " << changes.body);
    }
    if (i % 10 == 0) {
      const auto events = reader.request("POST", "/admin/v1/events/_search",
                                         json{{"limit", 1}, {"aggregateId", user}}.dump(), auth);
      REQUIRE(events.status == 200);
      const json e = json::parse(events.body);
      if (!e.contains("events") || e["events"][0].value("sequence", "") != sequence) {
        ++stale;
        FAIL_CHECK("ListEvents after the write " << sequence << ": " << events.body);
      }
    }
  }
  // The audit CLI with the standby's URL: the same rule (events, history, as-of, verify).
  for (int i = 0; i < 5; ++i) {
    const std::string name = "cli " + std::to_string(i);
    auto w = writer_a.request("PUT", "/management/v1/users/" + user + "/machine",
                              json{{"name", name}}.dump(), auth);
    REQUIRE(w.status == 200);
    const std::string sequence = json::parse(w.body)["details"].value("sequence", "");
    const auto cli = mu::testing::run_binary({"audit", "events", "--aggregate-id", user, "--limit",
                                              "1", "--json", "--database-url", s.url},
                                             {{"MU_READ_DATABASE_URL", standby_url}});
    INFO(cli.out << cli.err);
    REQUIRE(cli.exit_code == 0);
    CHECK(json::parse(cli.out).value("sequence", 0) == std::stoi(sequence));
  }
  CHECK(stale == 0);
  const double standby =
      metric(a.port(), "mu_standby_reads_total") + metric(b.port(), "mu_standby_reads_total");
  const double primary =
      metric(a.port(), "mu_primary_reads_total") + metric(b.port(), "mu_primary_reads_total");
  CHECK(standby > 0);  // the standby does serve reads

  // The cost of the rule: the same reads, one after another, with and without it.
  auto time_reads = [&](unsigned short port) {
    HttpClient http("127.0.0.1", port);
    const auto started = Clock::now();
    for (int i = 0; i < 300; ++i) {
      REQUIRE(http.request("GET", "/management/v1/users/" + user, "", auth).status == 200);
    }
    return seconds_between(started, Clock::now()) / 300 * 1000;
  };
  const double with_rule = time_reads(a.port()), without = time_reads(plain.port());
  const double idle_standby = metric(a.port(), "mu_standby_reads_total");
  std::printf(
      "ha: standby reads: %.0f of %.0f right after a write (%.0f%%); the standby read "
      "directly was behind %d of %d times; GetUserByID %.2f ms with the rule, %.2f ms on "
      "the primary alone; instance a's standby reads in all %.0f\n",
      standby, standby + primary, 100 * standby / (standby + primary), stale_without_rule, rounds,
      with_rule, without, idle_standby);
}

namespace {

// What background work and API writes have written: events, seals, the async checkpoints.
std::string written_state(const std::string& url) {
  pqxx::connection conn(url + "?connect_timeout=2");
  pqxx::nontransaction tx(conn);
  const auto r = tx.exec1(
      "SELECT (SELECT count(*) FROM events), (SELECT count(*) FROM seals), "
      "(SELECT coalesce(string_agg(projection || ':' || events, ',' ORDER BY projection), '') "
      "FROM projection_checkpoints)");
  return "events " + r[0].as<std::string>() + ", seals " + r[1].as<std::string>() +
         ", checkpoints " + r[2].as<std::string>();
}

// Sessions on `url`'s server holding the users projection's runner lock (0 when unreachable).
int runner_lock_holders(const std::string& url) {
  try {
    pqxx::connection conn(url + "?connect_timeout=1");
    pqxx::nontransaction tx(conn);
    return tx
        .exec1(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted AND "
            "objsubid = 1 AND objid = (hashtext('mu_projection:users')::bigint & "
            "4294967295)::oid")[0]
        .as<int>();
  } catch (const std::exception&) {
    return 0;
  }
}

}  // namespace

TEST_CASE(
    "fencing: a primary cut off from etcd is demoted, and nothing writes there, API or "
    "background, until a leader is back, and never two runners of one projection",
    "[ha]") {
  HaCluster cluster;
  HaService s(cluster);
  const std::vector<std::string> logs = {temp_path("fence-0.jsonl"), temp_path("fence-1.jsonl")};
  const TempFiles remove_logs{logs};
  std::vector<std::unique_ptr<ServerProcess>> instances;
  for (const auto& log : logs) {
    std::remove(log.c_str());
    instances.push_back(std::make_unique<ServerProcess>(
        s.url, std::vector<std::string>{"--async-projections", "users", "--seal-key", s.seal_key,
                                        "--seal-log", log, "--seal-interval", "1"}));
  }
  std::vector<std::string> users;
  for (int i = 0; i < 2; ++i) {
    users.push_back(add_user(instances[i]->port(), s.token, "fenced-" + std::to_string(i)));
  }
  const int leader = cluster.leader();
  REQUIRE(leader != 0);

  // The runner lock, sampled on every node while all this goes on.
  std::atomic<bool> stop{false};
  std::atomic<int> most_holders{0};
  std::thread sampler([&] {
    while (!stop) {
      int holders = 0;
      for (int n = 1; n <= cluster.nodes(); ++n) {
        holders += runner_lock_holders(cluster.node_url(n, "mu"));
      }
      most_holders = std::max(most_holders.load(), holders);
      std::this_thread::sleep_for(milliseconds(100));
    }
  });
  Tally tally;
  std::vector<std::thread> writers;
  for (int i = 0; i < 2; ++i) {
    writers.emplace_back(write_loop, i, instances[i]->port(), std::cref(s.token),
                         std::cref(users[i]), std::ref(stop), std::ref(tally));
  }
  struct Joiner {
    std::atomic<bool>& stop;
    std::vector<std::thread>& threads;
    std::thread& sampler;
    ~Joiner() {
      stop = true;
      for (auto& t : threads) t.join();
      sampler.join();
    }
  } joiner{stop, writers, sampler};
  std::this_thread::sleep_for(seconds(2));

  // etcd stopped: the leader cannot renew its key, and Patroni demotes it (read-only) before
  // the key's ttl could let another node take over.
  std::ifstream pid_file(cluster.directory() + "/etcd.pid");
  pid_t etcd = 0;
  pid_file >> etcd;
  REQUIRE(etcd > 0);
  REQUIRE(::kill(etcd, SIGSTOP) == 0);
  struct Resume {
    pid_t pid;
    ~Resume() { ::kill(pid, SIGCONT); }
  } resume{etcd};
  const auto stopped_at = Clock::now();
  while (cluster.writable(leader)) {
    REQUIRE(Clock::now() - stopped_at < seconds(30));
    std::this_thread::sleep_for(milliseconds(100));
  }
  const double demoted_after = seconds_between(stopped_at, Clock::now());
  // Demoted, Patroni starts it again as a standby: reachable, read-only, and nothing changes
  // there, and no node takes writes.
  std::string before;
  while (before.empty()) {
    try {
      before = written_state(cluster.node_url(leader, "mu"));
    } catch (const std::exception&) {
      REQUIRE(Clock::now() - stopped_at < seconds(40));
      std::this_thread::sleep_for(milliseconds(100));
    }
  }
  std::this_thread::sleep_for(seconds(3));
  CHECK(written_state(cluster.node_url(leader, "mu")) == before);
  for (int n = 1; n <= cluster.nodes(); ++n) CHECK_FALSE(cluster.writable(n));

  // etcd back: a leader again, and every instance writes again.
  ::kill(etcd, SIGCONT);
  const auto resumed_at = Clock::now();
  int primary = 0;
  while (primary == 0) {
    REQUIRE(Clock::now() - resumed_at < kRecoveryBound);
    for (int n = 1; n <= cluster.nodes(); ++n) {
      if (cluster.writable(n)) primary = n;
    }
    std::this_thread::sleep_for(milliseconds(100));
  }
  {
    std::lock_guard lock(tally.mutex);
    tally.promoted = Clock::now();
    tally.promoted_done = true;
  }
  for (;;) {
    {
      std::lock_guard lock(tally.mutex);
      if (tally.first_after_promotion.size() == 2) break;
    }
    REQUIRE(Clock::now() - resumed_at < kRecoveryBound);
    std::this_thread::sleep_for(milliseconds(50));
  }
  std::this_thread::sleep_for(seconds(2));
  stop = true;
  for (auto& t : writers) t.join();
  writers.clear();
  std::printf("ha: fencing: the leader was read-only %.2f s after etcd stopped; %s\n",
              demoted_after, before.c_str());

  std::lock_guard lock(tally.mutex);
  INFO(joined(tally.wrong));
  CHECK(tally.wrong.empty());
  const auto problems = store_problems(s.url, users, tally.acks);
  INFO(joined(problems));
  CHECK(problems.empty());
  CHECK(most_holders.load() <= 1);
  // The runner went on where it stopped: the read model has every user's last name.
  const auto caught_up_by = Clock::now() + seconds(20);
  for (;;) {
    pqxx::connection conn(s.url);
    pqxx::nontransaction tx(conn);
    const auto behind =
        tx.exec1(
              "SELECT count(*) FROM users_read_model u WHERE u.id IN ('" + users[0] + "','" +
              users[1] +
              "') AND u.name <> (SELECT payload->>'name' FROM events e WHERE e.aggregate_id = u.id "
              "AND e.event_type = 'user.machine.changed' ORDER BY sequence DESC LIMIT 1)")[0]
            .as<int>();
    if (behind == 0) break;
    REQUIRE(Clock::now() < caught_up_by);
    std::this_thread::sleep_for(milliseconds(200));
  }
  std::this_thread::sleep_for(seconds(2));  // a seal after the last write
  for (const auto& log : logs) {
    const auto verify = audit_verify(s, log);
    INFO(verify.out << verify.err);
    CHECK(verify.exit_code == 0);
  }
}
