// One running service on its own fresh database, and the calls tests make.
#pragma once

#include <string>

#include <nlohmann/json.hpp>
#include <pqxx/pqxx>

#include "tests/support/http_client.hpp"
#include "tests/support/server_process.hpp"
#include "tests/support/test_database.hpp"

namespace mu::testing {

struct Reply {
  int status = 0;
  nlohmann::json body;
};

class Service {
 public:
  explicit Service(std::vector<std::string> extra_args = {})
      : server_(db_.url(), std::move(extra_args)), http_("127.0.0.1", server_.port()) {}

  // A call in organization `org` ("" sends no x-zitadel-orgid header).
  Reply call(const std::string& method, const std::string& target, const std::string& body = "",
             const std::string& org = "org1") {
    std::map<std::string, std::string> headers;
    if (!org.empty()) headers["x-zitadel-orgid"] = org;
    auto r = http_.request(method, target, body, headers);
    Reply reply{r.status, nullptr};
    if (!r.body.empty()) reply.body = nlohmann::json::parse(r.body);
    return reply;
  }
  Reply call(const std::string& method, const std::string& target, const char* body,
             const std::string& org = "org1") {
    return call(method, target, std::string(body), org);
  }
  Reply call(const std::string& method, const std::string& target, const nlohmann::json& body,
             const std::string& org = "org1") {
    return call(method, target, body.dump(), org);
  }

  // Adds a machine user and returns its id.
  std::string add_user(const std::string& user_name, const std::string& org = "org1") {
    auto r = call("POST", "/management/v1/users/machine",
                  nlohmann::json{{"userName", user_name}, {"name", "Name of " + user_name}}, org);
    if (r.status != 200) throw std::runtime_error("add_user failed: " + r.body.dump());
    return r.body.at("userId").get<std::string>();
  }

  long long count_events(const std::string& aggregate_id = "") {
    pqxx::connection conn(db_.url());
    pqxx::nontransaction tx(conn);
    auto r =
        aggregate_id.empty()
            ? tx.exec("SELECT count(*) FROM events")
            : tx.exec("SELECT count(*) FROM events WHERE aggregate_id = " + tx.quote(aggregate_id));
    return r[0][0].as<long long>();
  }

  // The payload of the aggregate's last event.
  nlohmann::json last_payload(const std::string& aggregate_id) {
    pqxx::connection conn(db_.url());
    pqxx::nontransaction tx(conn);
    auto r = tx.exec("SELECT payload::text, event_type FROM events WHERE aggregate_id = " +
                     tx.quote(aggregate_id) + " ORDER BY sequence DESC LIMIT 1");
    return nlohmann::json::parse(r[0][0].as<std::string>());
  }

  ServerProcess& server() { return server_; }
  TestDatabase& database() { return db_; }
  HttpClient& http() { return http_; }

 private:
  TestDatabase db_;
  ServerProcess server_;
  HttpClient http_;
};

}  // namespace mu::testing
