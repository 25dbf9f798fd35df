// Audit (issue 8): every event records where it came from.
#include <catch2/catch.hpp>
#include <pqxx/pqxx>

#include "tests/e2e/service_fixture.hpp"

using mu::testing::Service;

namespace {

struct Origin {
  std::string creator, rpc, transport, request_id;
};

std::vector<Origin> origins(Service& s, const std::string& aggregate_id) {
  pqxx::connection conn(s.database().url());
  pqxx::nontransaction tx(conn);
  std::vector<Origin> out;
  for (const auto& r : tx.exec_params(
           "SELECT creator, rpc, transport, request_id FROM events WHERE aggregate_id = $1 "
           "ORDER BY sequence",
           aggregate_id)) {
    out.push_back({r[0].as<std::string>(), r[1].as<std::string>(), r[2].as<std::string>(),
                   r[3].as<std::string>()});
  }
  return out;
}

const std::string kMgmt = "zitadel.management.v1.ManagementService/";

}  // namespace

TEST_CASE("every event records its RPC, transport and request id, and never a token") {
  Service s;
  auto auth = std::map<std::string, std::string>{{"authorization", "Bearer " + s.admin_token()},
                                                 {"x-zitadel-orgid", s.org2()}};

  // A request id the caller chose is recorded as sent and echoed.
  auto headers = auth;
  headers["x-request-id"] = "audit-req/42 with spaces";
  auto added = s.http().request("POST", "/management/v1/users/machine",
                                R"({"userName":"audited","name":"A"})", headers);
  REQUIRE(added.status == 200);
  CHECK(added.header("x-request-id") == "audit-req/42 with spaces");
  const auto id = nlohmann::json::parse(added.body).at("userId").get<std::string>();

  // Without one, the generated id that the response carries is the one recorded.
  auto changed =
      s.http().request("PUT", "/management/v1/users/" + id + "/machine", R"({"name":"B"})", auth);
  REQUIRE(changed.status == 200);
  const auto generated = changed.header("x-request-id");
  REQUIRE(generated.size() == 16);

  const auto events = origins(s, id);
  REQUIRE(events.size() == 2);
  CHECK(events[0].creator == s.admin_id());
  CHECK(events[0].rpc == kMgmt + "AddMachineUser");
  CHECK(events[0].transport == "rest");
  CHECK(events[0].request_id == "audit-req/42 with spaces");
  CHECK(events[1].rpc == kMgmt + "UpdateMachine");
  CHECK(events[1].transport == "rest");
  CHECK(events[1].request_id == generated);

  // Lifecycle and token calls too; the token itself is recorded nowhere in events.
  headers["x-request-id"] = "lock-1";
  REQUIRE(s.http().request("POST", "/management/v1/users/" + id + "/_lock", "{}", headers).status ==
          200);
  headers["x-request-id"] = "pat-1";
  auto pat = s.http().request("POST", "/management/v1/users/" + id + "/pats", "{}", headers);
  REQUIRE(pat.status == 200);
  const auto token = nlohmann::json::parse(pat.body).at("token").get<std::string>();
  const auto after = origins(s, id);
  REQUIRE(after.size() == 4);
  CHECK(after[2].rpc == kMgmt + "LockUser");
  CHECK(after[2].request_id == "lock-1");
  CHECK(after[3].rpc == kMgmt + "AddPersonalAccessToken");
  CHECK(after[3].request_id == "pat-1");
  pqxx::connection conn(s.database().url());
  pqxx::nontransaction tx(conn);
  CHECK(tx.exec_params1("SELECT count(*) FROM events WHERE rpc LIKE '%' || $1 || '%' OR "
                        "request_id LIKE '%' || $1 || '%' OR transport LIKE '%' || $1 || '%'",
                        token)[0]
            .as<int>() == 0);

  // Setup's events are the command line's.
  const auto setup = tx.exec_params1(
      "SELECT rpc, transport, length(request_id) FROM events WHERE aggregate_id = $1 AND "
      "sequence = 1",
      s.org1());
  CHECK(setup[0].as<std::string>() == "machine-users setup");
  CHECK(setup[1].as<std::string>() == "cli");
  CHECK(setup[2].as<int>() == 16);
}

TEST_CASE("a bad X-Request-Id is refused with 400 and writes nothing") {
  Service s;
  const auto before = s.count_events();
  for (const std::string& bad :
       {std::string(129, 'a'), std::string("tab\there"), std::string("caf\xc3\xa9")}) {
    auto r = s.http().request(
        "POST", "/management/v1/users/machine", R"({"userName":"never","name":"N"})",
        {{"authorization", "Bearer " + s.admin_token()}, {"x-request-id", bad}});
    CHECK(r.status == 400);
    CHECK(nlohmann::json::parse(r.body).at("code") == 3);
  }
  CHECK(s.count_events() == before);
}
