// The seed call, PUT /users/{userId}/machine, through the real binary.
#include <catch2/catch.hpp>
#include <map>
#include <mutex>
#include <regex>
#include <set>
#include <thread>

#include "tests/e2e/service_fixture.hpp"

using mu::testing::Service;
using nlohmann::json;

namespace {

const std::regex kRfc3339Utc(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d{3}|\.\d{6}|\.\d{9})?Z)");

void check_error(const mu::testing::Reply& r, int status, int code, const std::string& id = "") {
  INFO(r.body.dump());
  CHECK(r.status == status);
  CHECK(r.body.at("code") == code);
  CHECK(r.body.at("message").is_string());
  if (id.empty()) {
    CHECK(r.body.at("details") == json::array());
  } else {
    REQUIRE(r.body.at("details").size() == 1);
    CHECK(r.body["details"][0]["@type"] == "type.googleapis.com/zitadel.v1.ErrorDetail");
    CHECK(r.body["details"][0]["id"] == id);
    CHECK(r.body["message"].get<std::string>().find("(" + id + ")") != std::string::npos);
  }
}

}  // namespace

TEST_CASE("UpdateMachine succeeds with the contract's response shape") {
  Service s;
  auto added = s.call("POST", "/management/v1/users/machine",
                      json{{"userName", "bot"}, {"name", "Bot"}, {"description", "old"}});
  REQUIRE(added.status == 200);
  const std::string id = added.body["userId"];
  CHECK(added.body["details"]["sequence"] == "1");

  auto r = s.call(
      "PUT", "/management/v1/users/" + id + "/machine",
      json{
          {"name", "Robot"}, {"description", "new"}, {"accessTokenType", "ACCESS_TOKEN_TYPE_JWT"}});
  INFO(r.body.dump());
  REQUIRE(r.status == 200);
  const auto& d = r.body.at("details");
  CHECK(d.at("sequence") == "2");  // a string, as protojson writes uint64
  CHECK(d.at("resourceOwner") == s.org1());
  CHECK(std::regex_match(d.at("changeDate").get<std::string>(), kRfc3339Utc));
  CHECK(d.at("creationDate") == added.body["details"]["creationDate"]);  // the user's first event
  CHECK(d.at("changeDate") != d.at("creationDate"));

  CHECK(s.count_events(id) == 2);
  CHECK(s.last_payload(id) ==
        json{{"name", "Robot"}, {"description", "new"}, {"accessTokenType", 1}});

  SECTION("GET after PUT sees the change, with the same details") {
    auto got = s.call("GET", "/management/v1/users/" + id);
    REQUIRE(got.status == 200);
    const auto& u = got.body.at("user");
    CHECK(u.at("id") == id);
    CHECK(u.at("userName") == "bot");
    CHECK(u.at("state") == "USER_STATE_ACTIVE");
    CHECK(u.at("machine").at("name") == "Robot");
    CHECK(u.at("machine").at("description") == "new");
    CHECK(u.at("machine").at("accessTokenType") == "ACCESS_TOKEN_TYPE_JWT");
    CHECK(u.at("details") == d);
  }
  SECTION("the route without the /management/v1 prefix is the same call") {
    auto again = s.call("PUT", "/users/" + id + "/machine", json{{"name", "Robot 2"}});
    REQUIRE(again.status == 200);
    CHECK(again.body["details"]["sequence"] == "3");
  }
}

TEST_CASE("UpdateMachine is a full replace, and only changed fields are recorded") {
  Service s;
  auto added = s.call(
      "POST", "/users/machine",
      json{{"userName", "bot"}, {"name", "Bot"}, {"description", "keep?"}, {"accessTokenType", 1}});
  REQUIRE(added.status == 200);
  const std::string id = added.body["userId"];

  // Only the name given: description and token type fall back to their defaults.
  auto r = s.call("PUT", "/users/" + id + "/machine", json{{"name", "Bot"}});
  REQUIRE(r.status == 200);
  CHECK(s.last_payload(id) == json{{"description", ""}, {"accessTokenType", 0}});
  auto got = s.call("GET", "/users/" + id);
  CHECK(got.body["user"]["machine"]["name"] == "Bot");
  CHECK_FALSE(got.body["user"]["machine"].contains("description"));      // "" is left out
  CHECK_FALSE(got.body["user"]["machine"].contains("accessTokenType"));  // BEARER (0) too

  SECTION("the same values again: NotChanged, and no event") {
    auto same =
        s.call("PUT", "/users/" + id + "/machine", json{{"name", "Bot"}, {"accessTokenType", 0}});
    check_error(same, 400, 9, "COMMAND-2n8vs");
    CHECK(same.body["message"] == "Errors.User.NotChanged (COMMAND-2n8vs)");
    CHECK(s.count_events(id) == 2);
  }
  SECTION("proto field names, unknown fields and nulls are accepted as protojson does") {
    auto ok =
        s.call("PUT", "/users/" + id + "/machine",
               R"({"name":"X","access_token_type":1,"description":null,"somethingNew":{"a":1}})");
    REQUIRE(ok.status == 200);
    CHECK(s.last_payload(id) == json{{"name", "X"}, {"accessTokenType", 1}});
  }
}

TEST_CASE("UpdateMachine refuses bad input with InvalidArgument and changes nothing") {
  Service s;
  const std::string id = s.add_user("bot");
  const auto before = s.count_events();
  const std::string target = "/management/v1/users/" + id + "/machine";
  std::string umlauts;
  for (int i = 0; i < 200; ++i) umlauts += "\xC3\xA4";

  struct Case {
    const char* what;
    std::string body;
  };
  const Case cases[] = {
      {"no name", R"({"description":"d"})"},
      {"empty name", R"({"name":""})"},
      {"name of 201 characters", json{{"name", std::string(201, 'n')}}.dump()},
      {"201 two-byte characters", json{{"name", umlauts + "\xC3\xA4"}}.dump()},
      {"description of 501 characters",
       json{{"name", "n"}, {"description", std::string(501, 'd')}}.dump()},
      {"undefined token type number", R"({"name":"n","accessTokenType":2})"},
      {"unknown token type name", R"({"name":"n","accessTokenType":"ACCESS_TOKEN_TYPE_OPAQUE"})"},
      {"name of the wrong type", R"({"name":5})"},
      {"token type of the wrong type", R"({"name":"n","accessTokenType":true})"},
      {"malformed JSON", R"({"name":)"},
      {"not an object", R"(["name"])"},
  };
  for (const auto& c : cases) {
    INFO(c.what);
    check_error(s.call("PUT", target, c.body), 400, 3);
  }
  INFO("a user id of 201 characters");
  check_error(s.call("PUT", "/users/" + std::string(201, '1') + "/machine", json{{"name", "n"}}),
              400, 3);
  CHECK(s.count_events() == before);

  // 200 two-byte characters are 200 characters, not 400.
  CHECK(s.call("PUT", target, json{{"name", umlauts}}).status == 200);
}

TEST_CASE("UpdateMachine on a user the call cannot see: NotFound COMMAND-5M0od") {
  Service s;
  const std::string id = s.add_user("bot");
  const auto before = s.count_events();
  auto body = json{{"name", "Robot"}};

  check_error(s.call("PUT", "/users/123456789/machine", body), 404, 5, "COMMAND-5M0od");
  auto other_org = s.call("PUT", "/users/" + id + "/machine", body, s.org2());
  check_error(other_org, 404, 5, "COMMAND-5M0od");
  CHECK(other_org.body["message"] == "User could not be found (COMMAND-5M0od)");
  CHECK(s.count_events() == before);

  REQUIRE(s.call("DELETE", "/users/" + id).status == 200);
  check_error(s.call("PUT", "/users/" + id + "/machine", body), 404, 5, "COMMAND-5M0od");
  check_error(s.call("GET", "/users/" + id), 404, 5, "QUERY-Dfbg2");
}

TEST_CASE("locked and deactivated machine users can still be changed") {
  Service s;
  const std::string id = s.add_user("bot");
  REQUIRE(s.call("POST", "/users/" + id + "/_lock").status == 200);
  CHECK(s.call("PUT", "/users/" + id + "/machine", json{{"name", "locked"}}).status == 200);
  REQUIRE(s.call("POST", "/users/" + id + "/_unlock").status == 200);
  REQUIRE(s.call("POST", "/users/" + id + "/_deactivate").status == 200);
  CHECK(s.call("PUT", "/users/" + id + "/machine", json{{"name", "inactive"}}).status == 200);
  auto got = s.call("GET", "/users/" + id);
  CHECK(got.body["user"]["state"] == "USER_STATE_INACTIVE");
  CHECK(got.body["user"]["machine"]["name"] == "inactive");
  CHECK(got.body["user"]["details"]["sequence"] == "6");
}

TEST_CASE("concurrent updates of one user: each decided on fresh state, none lost") {
  Service s;
  const std::string id = s.add_user("bot");
  constexpr int kWriters = 32;
  std::vector<int> statuses(kWriters);
  std::vector<std::string> sequences(kWriters);
  std::vector<std::thread> threads;
  const unsigned short port = s.server().port();
  for (int i = 0; i < kWriters; ++i) {
    threads.emplace_back([&, i] {
      mu::testing::HttpClient client("127.0.0.1", port);
      auto r = client.request("PUT", "/users/" + id + "/machine",
                              json{{"name", "writer " + std::to_string(i)}}.dump(),
                              {{"authorization", "Bearer " + s.admin_token()}});
      statuses[i] = r.status;
      if (r.status == 200) sequences[i] = json::parse(r.body)["details"]["sequence"];
    });
  }
  for (auto& t : threads) t.join();

  int ok = 0;
  std::set<std::string> distinct;
  for (int i = 0; i < kWriters; ++i) {
    INFO("writer " << i << " got " << statuses[i]);
    // A writer that loses the race retries with the head locked: it cannot lose twice.
    CHECK(statuses[i] == 200);
    if (statuses[i] == 200) {
      ++ok;
      distinct.insert(sequences[i]);
    }
  }
  CHECK(ok == kWriters);
  CHECK(distinct.size() == static_cast<std::size_t>(ok));  // every success has its own sequence
  CHECK(s.count_events(id) == 1 + ok);
  // The read model holds the writer whose event came last.
  auto got = s.call("GET", "/users/" + id);
  CHECK(got.body["user"]["details"]["sequence"] == std::to_string(1 + ok));
  for (int i = 0; i < kWriters; ++i) {
    if (sequences[i] == std::to_string(1 + ok)) {
      CHECK(got.body["user"]["machine"]["name"] == "writer " + std::to_string(i));
    }
  }
}

TEST_CASE("If-Match: a write on a user that moved on since is Aborted and changes nothing") {
  Service s;
  const std::string id = s.add_user("bot");  // at sequence 1
  auto put = [&](const std::string& name, const std::string& if_match) {
    auto r =
        s.http().request("PUT", "/users/" + id + "/machine", json{{"name", name}}.dump(),
                         {{"authorization", "Bearer " + s.admin_token()}, {"if-match", if_match}});
    return mu::testing::Reply{r.status, json::parse(r.body)};
  };
  auto ok = put("first", "\"1\"");
  REQUIRE(ok.status == 200);
  CHECK(ok.body["details"]["sequence"] == "2");

  const auto before = s.count_events(id);
  auto stale = put("second", "\"1\"");  // decided on sequence 1, but the user is at 2
  check_error(stale, 409, 10, "COMMAND-IfMatch");
  CHECK(s.count_events(id) == before);
  check_error(put("second", "yesterday"), 400, 3);
  CHECK(put("second", "2").status == 200);
  CHECK(put("third", "*").status == 200);
  CHECK(s.call("GET", "/users/" + id).body["user"]["machine"]["name"] == "third");
}

namespace {

// A counter of GET /metrics, 0 when absent.
double metric(mu::testing::HttpClient& http, const std::string& name) {
  const auto r = http.request("GET", "/metrics", "", {});
  const auto at = r.body.find("\n" + name + " ");
  if (at == std::string::npos) return 0;
  return std::stod(r.body.substr(at + name.size() + 2));
}

}  // namespace

TEST_CASE(
    "two instances writing the same users lose nothing: a stale cached write model is a "
    "conflict, decided again") {
  Service s;
  mu::testing::ServerProcess other(s.database().url());
  const std::map<std::string, std::string> auth = {{"authorization", "Bearer " + s.admin_token()}};
  mu::testing::HttpClient a("127.0.0.1", s.server().port());
  mu::testing::HttpClient b("127.0.0.1", other.port());
  auto put = [&](mu::testing::HttpClient& via, const std::string& id, const std::string& name) {
    auto r = via.request("PUT", "/users/" + id + "/machine", json{{"name", name}}.dump(), auth);
    INFO(r.status << " " << r.body);
    REQUIRE(r.status == 200);
    return std::stoull(json::parse(r.body)["details"]["sequence"].get<std::string>());
  };

  // In turn: a's cached write model of the user is stale at its second write.
  const std::string first = s.add_user("turns");
  CHECK(put(a, first, "a1") == 2);
  CHECK(put(b, first, "b1") == 3);
  const double conflicts = metric(a, "mu_command_conflicts_total");
  CHECK(put(a, first, "a2") == 4);  // decided on sequence 3, not on the cached 2
  CHECK(metric(a, "mu_command_conflicts_total") == conflicts + 1);
  CHECK(metric(a, "mu_one_statement_commands_total") >= 1);
  CHECK(s.count_events(first) == 4);

  // At once: 8 writers, half on each instance, on 4 users.
  std::vector<std::string> users;
  for (int i = 0; i < 4; ++i) users.push_back(s.add_user("shared-" + std::to_string(i)));
  constexpr int kWriters = 8, kWrites = 20;
  std::mutex mutex;
  std::map<std::pair<std::string, unsigned long long>, std::string> acknowledged;
  std::vector<std::string> failures;
  std::vector<std::thread> threads;
  for (int w = 0; w < kWriters; ++w) {
    threads.emplace_back([&, w] {
      mu::testing::HttpClient via("127.0.0.1", w % 2 ? other.port() : s.server().port());
      for (int n = 0; n < kWrites; ++n) {
        const auto& id = users[static_cast<std::size_t>((w + n) % 4)];
        const std::string name = "w" + std::to_string(w) + "-" + std::to_string(n);
        auto r = via.request("PUT", "/users/" + id + "/machine", json{{"name", name}}.dump(), auth);
        std::lock_guard lock(mutex);
        if (r.status != 200) {
          failures.push_back(std::to_string(r.status) + " " + r.body);
          continue;
        }
        const auto seq = std::stoull(json::parse(r.body)["details"]["sequence"].get<std::string>());
        acknowledged.emplace(std::make_pair(id, seq), name);
      }
    });
  }
  for (auto& t : threads) t.join();
  CHECK(failures.empty());
  CHECK(acknowledged.size() == static_cast<std::size_t>(kWriters * kWrites) - failures.size());

  // Every acknowledged write is stored at the sequence it was answered with, sequences run
  // 1..n without a gap, and both instances read the last one.
  pqxx::connection conn(s.database().url());
  pqxx::nontransaction tx(conn);
  for (const auto& id : users) {
    INFO("user " << id);
    const auto rows = tx.exec_params(
        "SELECT sequence, payload->>'name' FROM events WHERE aggregate_type = 'user' AND "
        "aggregate_id = $1 ORDER BY sequence",
        id);
    std::size_t acked = 0;
    for (std::size_t i = 0; i < rows.size(); ++i) {
      const auto seq = rows[i][0].as<unsigned long long>();
      CHECK(seq == i + 1);
      const auto it = acknowledged.find({id, seq});
      if (it != acknowledged.end()) {
        ++acked;
        CHECK(rows[i][1].as<std::string>() == it->second);
      }
    }
    CHECK(acked + 1 == rows.size());  // all but the creation were acknowledged writes
    const auto last_name = rows[rows.size() - 1][1].as<std::string>();
    for (auto* via : {&a, &b}) {
      auto got = via->request("GET", "/users/" + id, "", auth);
      const auto body = json::parse(got.body);
      CHECK(body["user"]["details"]["sequence"] == std::to_string(rows.size()));
      CHECK(body["user"]["machine"]["name"] == last_name);
    }
  }
  const auto verify =
      mu::testing::run_binary({"audit", "verify", "--database-url", s.database().url()});
  INFO(verify.out << verify.err);
  CHECK(verify.exit_code == 0);
}
