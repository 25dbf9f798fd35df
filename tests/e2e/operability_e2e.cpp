// Safe retries (Idempotency-Key, ETag) and what operators see: health, readiness,
// metrics, request ids and the request log.
#include <catch2/catch.hpp>

#include <atomic>
#include <chrono>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <thread>
#include <vector>

#include <pqxx/pqxx>

#include "domain/sha256.hpp"
#include "tests/e2e/service_fixture.hpp"

using mu::testing::HttpResult;
using mu::testing::Service;
using nlohmann::json;

namespace {

HttpResult put_machine(mu::testing::HttpClient& http, const std::string& token,
                       const std::string& id, const std::string& name, const std::string& key) {
  std::map<std::string, std::string> headers{{"authorization", "Bearer " + token}};
  if (!key.empty()) headers["idempotency-key"] = key;
  return http.request("PUT", "/management/v1/users/" + id + "/machine", json{{"name", name}}.dump(),
                      headers);
}

// The value of a series ("name" or "name{labels}") in Prometheus text, 0 if absent.
double metric(const std::string& text, const std::string& series) {
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    if (line.size() > series.size() && line.compare(0, series.size(), series) == 0 &&
        line[series.size()] == ' ') {
      return std::stod(line.substr(series.size() + 1));
    }
  }
  return 0;
}

}  // namespace

TEST_CASE("Idempotency-Key: a retry replays the first response and appends nothing") {
  Service s;
  const auto id = s.add_user("idem");
  const auto before = s.count_events(id);
  auto first = put_machine(s.http(), s.admin_token(), id, "first", "key-1");
  REQUIRE(first.status == 200);
  CHECK(first.header("idempotent-replayed").empty());
  auto again = put_machine(s.http(), s.admin_token(), id, "first", "key-1");
  CHECK(again.status == 200);
  CHECK(again.body == first.body);
  CHECK(again.header("idempotent-replayed") == "true");
  CHECK_FALSE(first.header("etag").empty());
  CHECK(again.header("etag") == first.header("etag"));  // the replay's too
  CHECK(s.count_events(id) == before + 1);

  // The same key with another request is refused and changes nothing.
  auto other = put_machine(s.http(), s.admin_token(), id, "second", "key-1");
  CHECK(other.status == 400);
  CHECK(json::parse(other.body)["code"] == 3);
  CHECK(s.count_events(id) == before + 1);

  // Without a key, or with a new one, the same request runs (and here is NotChanged).
  CHECK(put_machine(s.http(), s.admin_token(), id, "first", "").status == 400);
  CHECK(put_machine(s.http(), s.admin_token(), id, "third", "key-2").status == 200);
  CHECK(s.count_events(id) == before + 2);

  // A bad key is InvalidArgument.
  CHECK(put_machine(s.http(), s.admin_token(), id, "fourth", std::string(256, 'k')).status == 400);
  CHECK(put_machine(s.http(), s.admin_token(), id, "fourth", "tab\there").status == 400);
  CHECK(s.count_events(id) == before + 2);

  // Keys belong to their caller: another caller's same key is a new call.
  const auto other_user = s.add_user("other-caller");
  auto grant =
      s.call("POST", "/admin/v1/members", json{{"userId", other_user}, {"roles", {"IAM_OWNER"}}});
  REQUIRE(grant.status == 200);
  const auto token = s.add_token(other_user);
  auto theirs = put_machine(s.http(), token, id, "theirs", "key-1");
  CHECK(theirs.status == 200);
  CHECK(theirs.header("idempotent-replayed").empty());
}

TEST_CASE("Idempotency-Key: concurrent calls with one key append once, on any instance") {
  Service s;
  std::vector<std::string> ids;
  for (int i = 0; i < 2; ++i) ids.push_back(s.add_user("conc" + std::to_string(i)));
  // A second instance on the same database shares the keys.
  mu::testing::ServerProcess second(s.database().url());

  // AddMachineUser under one key: every call would create a new user without it.
  const auto events_before = s.count_events();
  std::vector<HttpResult> results(8);
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&, i] {
      mu::testing::HttpClient http("127.0.0.1", i % 2 ? second.port() : s.server().port());
      results[i] = http.request(
          "POST", "/management/v1/users/machine",
          json{{"userName", "once"}, {"name", "Once"}}.dump(),
          {{"authorization", "Bearer " + s.admin_token()}, {"idempotency-key", "create-once"}});
    });
  }
  for (auto& t : threads) t.join();
  std::set<std::string> bodies;
  for (const auto& r : results) {
    INFO(r.body);
    CHECK(r.status == 200);
    bodies.insert(r.body);
  }
  CHECK(bodies.size() == 1);
  CHECK(s.count_events() == events_before + 1);
}

TEST_CASE("GET answers the sequence as ETag, which If-Match accepts") {
  Service s;
  const auto id = s.add_user("etag");
  auto got = s.http().request("GET", "/management/v1/users/" + id, "",
                              {{"authorization", "Bearer " + s.admin_token()}});
  REQUIRE(got.status == 200);
  const auto seq = json::parse(got.body)["user"]["details"]["sequence"].get<std::string>();
  CHECK(got.header("etag") == "\"" + seq + "\"");
  auto put = s.http().request(
      "PUT", "/management/v1/users/" + id + "/machine", json{{"name", "by etag"}}.dump(),
      {{"authorization", "Bearer " + s.admin_token()}, {"if-match", got.header("etag")}});
  CHECK(put.status == 200);
  CHECK(put.header("etag") == "\"" + std::to_string(std::stoull(seq) + 1) + "\"");
  auto stale = s.http().request(
      "PUT", "/management/v1/users/" + id + "/machine", json{{"name", "stale"}}.dump(),
      {{"authorization", "Bearer " + s.admin_token()}, {"if-match", got.header("etag")}});
  CHECK(stale.status == 409);
}

TEST_CASE("healthz, readyz and metrics need no token, and readyz follows the database") {
  Service s;
  CHECK(s.call_as("", "GET", "/healthz").status == 200);
  auto ready = s.call_as("", "GET", "/readyz");
  CHECK(ready.status == 200);
  CHECK(ready.body["status"] == "ready");
  CHECK(s.call_as("", "POST", "/readyz").status == 405);

  auto before = s.http().request("GET", "/metrics");
  REQUIRE(before.status == 200);
  CHECK(before.header("content-type").find("text/plain") == 0);
  const auto id = s.add_user("metered");
  for (int i = 0; i < 3; ++i) {
    REQUIRE(put_machine(s.http(), s.admin_token(), id, "n" + std::to_string(i), "").status == 200);
  }
  put_machine(s.http(), s.admin_token(), id, "n2", "");  // NotChanged: code 9
  auto after = s.http().request("GET", "/metrics");
  const std::string ok_series = "mu_requests_total{rpc=\"UpdateMachine\",code=\"0\"}";
  CHECK(metric(after.body, ok_series) - metric(before.body, ok_series) == 3);
  CHECK(metric(after.body, "mu_requests_total{rpc=\"UpdateMachine\",code=\"9\"}") >= 1);
  CHECK(metric(after.body, "mu_events_appended_total") -
            metric(before.body, "mu_events_appended_total") ==
        4);  // the user and three changes
  CHECK(metric(after.body, "mu_auth_cache_hits_total") >
        metric(before.body, "mu_auth_cache_hits_total"));
  CHECK(metric(after.body, "mu_request_duration_seconds_count{rpc=\"UpdateMachine\"}") >= 4);
  CHECK(after.body.find("mu_worker_pool_busy ") != std::string::npos);
  CHECK(after.body.find("mu_worker_pool_queued ") != std::string::npos);

  // Without its database the process is alive but not ready.
  {
    pqxx::connection admin(mu::testing::server_url());
    pqxx::nontransaction tx(admin);
    tx.exec("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = " +
            tx.quote(s.database().name()));
    tx.exec("ALTER DATABASE " + tx.quote_name(s.database().name()) + " ALLOW_CONNECTIONS false");
  }
  auto down = s.call_as("", "GET", "/readyz");
  CHECK(down.status == 503);
  CHECK(down.body["code"] == 14);
  CHECK(s.call_as("", "GET", "/healthz").status == 200);
  {
    pqxx::connection admin(mu::testing::server_url());
    pqxx::nontransaction tx(admin);
    tx.exec("ALTER DATABASE " + tx.quote_name(s.database().name()) + " ALLOW_CONNECTIONS true");
  }
  CHECK(s.call_as("", "GET", "/readyz").status == 200);
}

TEST_CASE("a call waiting for PostgreSQL holds up no other, and a full queue answers 429 at once") {
  // One I/O thread, two database sessions, one place in the queue.
  Service s({"--io-threads", "1", "--db-connections", "2", "--queue", "1"});
  const auto held = s.add_user("held");
  const auto free_user = s.add_user("free");
  REQUIRE(s.call("GET", "/management/v1/users/" + free_user).status == 200);

  // The test holds the row lock of one user's stream head: a write to that user waits in
  // PostgreSQL, in a session, until the test lets go.
  pqxx::connection locker(s.database().url());
  pqxx::work lock(locker);
  lock.exec("SELECT 1 FROM streams WHERE aggregate_type = 'user' AND aggregate_id = " +
            lock.quote(held) + " FOR UPDATE");
  auto lock_waits = [&] {
    pqxx::connection watch(mu::testing::server_url());
    pqxx::nontransaction tx(watch);
    return tx
        .exec1(
            "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND "
            "datname = " +
            tx.quote(s.database().name()))[0]
        .as<int>();
  };
  auto wait_until = [](auto done) {
    for (int i = 0; i < 1000 && !done(); ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return done();
  };

  std::vector<int> statuses(3, 0);
  std::vector<std::thread> writers;
  auto write = [&](int i) {
    writers.emplace_back([&, i] {
      mu::testing::HttpClient client("127.0.0.1", s.server().port());
      statuses[static_cast<std::size_t>(i)] =
          put_machine(client, s.admin_token(), held, "held " + std::to_string(i), "").status;
    });
  };
  write(0);
  REQUIRE(wait_until([&] { return lock_waits() == 1; }));
  // One session waits for PostgreSQL; the thread and the other session serve meanwhile.
  CHECK(s.call("GET", "/management/v1/users/" + free_user).status == 200);

  write(1);
  REQUIRE(wait_until([&] { return lock_waits() == 2; }));
  write(2);  // no session left: it waits in the queue
  REQUIRE(wait_until([&] {
    return metric(s.http().request("GET", "/metrics").body, "mu_worker_pool_queued") == 1;
  }));
  // Both sessions busy, the queue full: refused at once, in the contract's shape.
  auto refused = s.call("GET", "/management/v1/users/" + free_user);
  CHECK(refused.status == 429);
  CHECK(refused.body["code"] == 8);

  lock.commit();  // every waiting write now goes through, none lost
  for (auto& t : writers) t.join();
  CHECK(statuses == std::vector<int>{200, 200, 200});
  CHECK(s.call("GET", "/management/v1/users/" + free_user).status == 200);
}

TEST_CASE("every response carries a request id, and every call is one JSON log line") {
  Service s;  // its set-up made one call: AddOrg
  std::vector<HttpResult> calls;
  calls.push_back(s.http().request("GET", "/healthz", "", {{"x-request-id", "trace-42"}}));
  CHECK(calls.back().header("x-request-id") == "trace-42");
  calls.push_back(s.http().request("GET", "/healthz"));
  CHECK(std::regex_match(calls.back().header("x-request-id"), std::regex("[0-9a-f]{16}")));
  calls.push_back(
      s.http().request("GET", "/healthz", "", {{"x-request-id", std::string(129, 'r')}}));
  CHECK(calls.back().status == 400);
  std::map<std::string, std::string> headers{{"authorization", "Bearer " + s.admin_token()},
                                             {"x-request-id", "add-call-3"}};
  calls.push_back(s.http().request("POST", "/management/v1/users/machine",
                                   json{{"userName", "logged"}, {"name", "Logged"}}.dump(),
                                   headers));
  REQUIRE(calls.back().status == 200);
  const auto id = json::parse(calls.back().body).at("userId").get<std::string>();
  headers["x-request-id"] = "put-call-7";
  calls.push_back(s.http().request("PUT", "/management/v1/users/" + id + "/machine",
                                   json{{"name", "secret-free"}}.dump(), headers));
  REQUIRE(calls.back().status == 200);

  // A thread of the server writes the log every 20 ms: wait for a line per call, set-up's
  // included, and for the last line to be complete.
  const std::size_t expected = calls.size() + 1;
  std::string output;
  for (const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
       std::chrono::steady_clock::now() < deadline;
       std::this_thread::sleep_for(std::chrono::milliseconds(20))) {
    output = s.server().output();
    std::size_t request_lines = 0;
    for (auto at = output.find("\"msg\":\"request\""); at != std::string::npos;
         at = output.find("\"msg\":\"request\"", at + 1)) {
      ++request_lines;
    }
    if (request_lines >= expected && !output.empty() && output.back() == '\n') break;
  }
  INFO(output.substr(0, 4000));

  // Every line the server wrote, start-up's included, is one JSON object; a line that is
  // not fails, whatever it says.
  std::map<std::string, int> lines_per_id;
  std::size_t request_lines = 0;
  json put_line;
  std::istringstream lines(output);
  for (std::string text; std::getline(lines, text);) {
    INFO("log line: " << text);
    const auto j = json::parse(text, nullptr, false);
    REQUIRE(j.is_object());
    CHECK(j["time"].is_string());
    CHECK(j["level"].is_string());
    CHECK(j["msg"].is_string());
    if (j.value("msg", "") != "request") continue;
    ++request_lines;
    ++lines_per_id[j.value("request_id", "")];
    if (j.value("request_id", "") == "put-call-7") put_line = j;
  }
  REQUIRE(!output.empty());
  CHECK(output.back() == '\n');  // no line cut short
  CHECK(request_lines == expected);
  for (const auto& call : calls) {
    INFO("the call with request id " << call.header("x-request-id"));
    CHECK(lines_per_id[call.header("x-request-id")] == 1);
  }

  REQUIRE(put_line.is_object());
  CHECK(put_line["rpc"] == "UpdateMachine");
  CHECK(put_line["status"] == 200);
  CHECK(put_line["caller"] == s.admin_id());
  CHECK(put_line["duration_ms"].is_number());
  CHECK(put_line["bytes_in"].is_number());
  // Never a token (nor its hash), never a body.
  CHECK(output.find(s.admin_token()) == std::string::npos);
  CHECK(output.find(mu::domain::sha256_hex(s.admin_token())) == std::string::npos);
  CHECK(output.find("secret-free") == std::string::npos);
}
